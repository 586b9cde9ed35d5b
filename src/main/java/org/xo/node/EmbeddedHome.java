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
 *   conf/openfire.xml                      setup done, our connection provider, listener address, no admin console
 *   conf/security.xml                      read by Openfire's property encryption
 *   resources/database/openfire_hsqldb.sql schema Openfire installs on first start (not in any Maven artifact)
 *   resources/security/{keystore,truststore,client.truststore}  JKS stores, password changeit; the keystore
 *                                          gets a self-signed certificate for the domain (STARTTLS)
 *   plugins/admin/plugin.xml               Openfire's plugin monitor treats the first plugin as "admin"
 *   plugins/xo.jar                         the XO plugin, unless --no-plugin; Openfire unpacks it into plugins/xo/
 *   embedded-db/, logs/
 * </pre>
 * Files the operator may have edited (openfire.xml aside, which encodes command-line options) are only written
 * when missing.
 */
final class EmbeddedHome {
    private static final String STORE_PASSWORD = "changeit";

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
                STORE_PASSWORD.toCharArray());
        writeIfMissing(dir.resolve("plugins/admin/plugin.xml"), resource("admin-plugin.xml"));
        if (!options.noPlugin) {
            home.deployPlugin(options.pluginJar);
        }
    }

    private void writeOpenfireXml(NodeOptions options) throws IOException {
        String xml = new String(resource("openfire.xml"), StandardCharsets.UTF_8)
                .replace("@CONNECTION_PROVIDER@", HsqlConnectionProvider.class.getName())
                .replace("@INTERFACE@", options.bindAddress.getHostAddress());
        write(dir.resolve("conf/openfire.xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeEmptyKeyStore(Path file) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("JKS");
            store.load(null, null);
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, STORE_PASSWORD.toCharArray());
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
