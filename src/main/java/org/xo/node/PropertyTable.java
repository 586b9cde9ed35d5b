package org.xo.node;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;

/**
 * Openfire's property table ({@code ofProperty}) in the embedded HSQLDB database of a stopped server layout.
 * <p>
 * Why write the database directly: a server layout takes the node's properties from openfire.xml only on its
 * first start (its setup copies what the database does not have yet); after that the database is the only
 * source. Writing the table before Openfire starts makes a changed option effective from the first moment:
 * listeners bind the new port and the XO plugin reads the new settings, with nothing to restart afterwards.
 * <p>
 * The driver comes from the layout's own {@code lib/hsqldb-*.jar} in a class loader of its own (the launcher's
 * class path holds Openfire 4.2.0's older HSQLDB), so the files keep the format that Openfire writes. HSQLDB's
 * lock file keeps this from opening a database that a running server holds; after a crash it waits until the
 * dead server's lock has expired (about 5 s).
 */
final class PropertyTable {
    private PropertyTable() {
    }

    /** Sets each property, unencrypted, as Openfire's JiveGlobals.setProperty would; other rows stay. */
    static void write(Path hsqldbJar, Path database, Map<String, String> properties) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {hsqldbJar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            Driver driver = (Driver) loader.loadClass("org.hsqldb.jdbc.JDBCDriver").getDeclaredConstructor()
                    .newInstance();
            Properties credentials = new Properties();
            credentials.setProperty("user", "sa");
            credentials.setProperty("password", "");
            // ifexists: never create an empty database where Openfire's is missing.
            try (Connection c = driver.connect("jdbc:hsqldb:file:" + database + ";ifexists=true", credentials)) {
                upsert(c, properties);
                // Writes everything to the .script file and releases the lock before Openfire opens it.
                try (Statement s = c.createStatement()) {
                    s.execute("SHUTDOWN");
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot write the node's settings into " + database + ": " + e.getMessage(), e);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot load the HSQLDB driver from " + hsqldbJar + ": " + e, e);
        }
    }

    private static void upsert(Connection c, Map<String, String> properties) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement update = c.prepareStatement(
                "UPDATE ofProperty SET propValue = ?, encrypted = 0, iv = NULL WHERE name = ?");
             PreparedStatement insert = c.prepareStatement(
                "INSERT INTO ofProperty (name, propValue, encrypted) VALUES (?, ?, 0)")) {
            for (Map.Entry<String, String> p : properties.entrySet()) {
                update.setString(1, p.getValue());
                update.setString(2, p.getKey());
                if (update.executeUpdate() == 0) {
                    insert.setString(1, p.getKey());
                    insert.setString(2, p.getValue());
                    insert.executeUpdate();
                }
            }
        }
        c.commit();
    }
}
