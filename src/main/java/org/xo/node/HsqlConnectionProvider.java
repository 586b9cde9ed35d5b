package org.xo.node;

import java.io.File;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import org.hsqldb.jdbc.JDBCDriver;
import org.jivesoftware.database.ConnectionProvider;
import org.jivesoftware.util.JiveGlobals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plain in-process HSQLDB connections to {@code <home>/embedded-db/openfire}. Replaces Openfire's
 * EmbeddedConnectionProvider, whose proxool pool needs {@code --add-opens java.base/java.lang} on JDK 17.
 * In-process HSQLDB connections are cheap and the database stays open between them, so no pool is needed.
 * Openfire instantiates this class by name from {@code connectionProvider.className} in conf/openfire.xml.
 */
public final class HsqlConnectionProvider implements ConnectionProvider {
    private static final Logger LOG = LoggerFactory.getLogger(HsqlConnectionProvider.class);

    private String url;
    private final Properties credentials = new Properties();

    @Override
    public boolean isPooled() {
        return false;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (url == null) {
            throw new SQLException("HSQLDB connection provider is not started");
        }
        return JDBCDriver.getConnection(url, credentials);
    }

    @Override
    public void start() {
        File db = new File(new File(JiveGlobals.getHomeDirectory(), "embedded-db"), "openfire");
        // hsqldb.lock_file: a second JVM on the same home fails instead of corrupting the files.
        url = "jdbc:hsqldb:file:" + db.getAbsolutePath() + ";hsqldb.lock_file=true";
        credentials.setProperty("user", "sa");
        credentials.setProperty("password", "");
    }

    @Override
    public void restart() {
        destroy();
        start();
    }

    @Override
    public void destroy() {
        if (url == null) {
            return;
        }
        // SHUTDOWN writes the .script file and releases the lock, so the next start is clean and fast.
        try (Connection c = getConnection(); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        } catch (SQLException e) {
            LOG.warn("HSQLDB shutdown failed", e);
        }
        url = null;
    }
}
