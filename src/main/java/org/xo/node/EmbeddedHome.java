package org.xo.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/**
 * The home of a node that runs the embedded Openfire 4.2.0, laid out as it expects it without its setup wizard:
 * <pre>
 *   conf/openfire.xml                      setup done, our connection provider, listener address, the admin
 *                                          console's port: -1, or --admin-port on loopback for the status view
 *   conf/security.xml                      read by Openfire's property encryption
 *   resources/database/openfire_hsqldb.sql schema Openfire installs on first start (not in any Maven artifact)
 *   resources/security/{keystore,truststore,client.truststore}  JKS stores, password changeit; the keystore
 *                                          gets a self-signed certificate for the domain (STARTTLS)
 *   plugins/admin/plugin.xml               Openfire's plugin monitor treats the first plugin as "admin"
 *   plugins/admin/webapp/                  the status view: the plugins' pages behind the status password
 *   status-password                        that password's salted hash, owner-only (see StatusPassword)
 *   plugins/xo.jar                         the XO plugin, unless --no-plugin; Openfire unpacks it into plugins/xo/
 *   embedded-db/, logs/
 * </pre>
 * Files the operator may have edited (openfire.xml aside, which encodes command-line options) are only written
 * when missing.
 */
final class EmbeddedHome {

    private final NodeHome home;
    private final Path dir;

    EmbeddedHome(NodeHome home) {
        this.home = home;
        this.dir = home.dir();
    }

    /** Writes everything Openfire reads at start-up; the options are validated. */
    void prepare(NodeOptions options) throws IOException, ConfigException {
        if (LayoutHome.isLayoutHome(dir)) {
            throw new ConfigException("Home directory " + dir + " holds a node of an Openfire server layout; start it"
                    + " with --openfire, or give the embedded Openfire a home of its own.");
        }
        writeOpenfireXml(options);
        writeIfMissing(dir.resolve("conf/security.xml"), resource("security.xml"));
        writeIfMissing(dir.resolve("resources/database/openfire_hsqldb.sql"), resource("openfire_hsqldb.sql"));
        for (String store : new String[] {"keystore", "truststore", "client.truststore"}) {
            Path file = dir.resolve("resources/security").resolve(store);
            if (Files.notExists(file)) {
                writeEmptyKeyStore(file);
            }
        }
        SelfSignedCertificate.ensure(dir.resolve("resources/security/keystore"), options.domain,
                SelfSignedCertificate.OPENFIRE_STORE_PASSWORD.toCharArray());
        writeIfMissing(dir.resolve("plugins/admin/plugin.xml"), resource("admin-plugin.xml"));
        writeStatusView();
        if (!options.noPlugin) {
            home.deployPlugin(options.pluginJar);
        }
    }

    /**
     * The status view's password: a new one when there is none yet or {@code reset} asks for it, returned so that
     * the launcher shows it this once; null when the stored one stays.
     */
    String statusPassword(boolean reset) throws IOException {
        Path file = statusPasswordFile();
        if (!reset && Files.exists(file)) {
            StatusPassword.read(file);
            return null;
        }
        return StatusPassword.create(file);
    }

    Path statusPasswordFile() {
        return dir.resolve(StatusPassword.FILE_NAME);
    }

    /** The web app Openfire's admin console serves on --admin-port; inert while the port is -1. */
    private void writeStatusView() throws IOException {
        Path webapp = dir.resolve("plugins/admin/webapp");
        String webXml = new String(resource("admin-web.xml"), StandardCharsets.UTF_8)
                .replace("@PASSWORD_FILE@", xmlText(statusPasswordFile().toString()));
        write(webapp.resolve("WEB-INF/web.xml"), webXml.getBytes(StandardCharsets.UTF_8));
        write(webapp.resolve("index.html"), resource("admin-index.html"));
    }

    private static String xmlText(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private void writeOpenfireXml(NodeOptions options) throws IOException {
        String xml = new String(resource("openfire.xml"), StandardCharsets.UTF_8)
                .replace("@CONNECTION_PROVIDER@", HsqlConnectionProvider.class.getName())
                .replace("@INTERFACE@", options.bindAddress.getHostAddress())
                .replace("@ADMIN_PORT@", Integer.toString(options.adminPort == 0 ? -1 : options.adminPort))
                .replace("@ADMIN_INTERFACE@", options.adminAddress().getHostAddress());
        write(dir.resolve("conf/openfire.xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeEmptyKeyStore(Path file) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("JKS");
            store.load(null, null);
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, SelfSignedCertificate.OPENFIRE_STORE_PASSWORD.toCharArray());
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("Cannot create key store " + file, e);
        }
    }

    private static void writeIfMissing(Path file, byte[] content) throws IOException {
        if (Files.notExists(file)) {
            write(file, content);
        }
    }

    private static void write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = NodeHome.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("Resource " + name + " is missing from the node's class path");
            }
            return in.readAllBytes();
        }
    }
}
