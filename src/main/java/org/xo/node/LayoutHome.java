package org.xo.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The home of a node that runs an Openfire server layout ({@code --openfire}): a writable copy of the layout,
 * made on first start, in which that Openfire's own start script runs.
 * <pre>
 *   bin/ conf/ lib/ plugins/ resources/ ...  copied from the layout once (not its embedded-db/ or logs/)
 *   xo-layout.properties             written when the copy is complete: which Openfire version it holds
 *   lib/xo-loopback-auth.jar         {@link LoopbackAuthProvider}, rewritten at every start: Openfire loads
 *                                    providers with the class loader of its lib/, never from a plugin
 *   plugins/xo.jar                   the XO plugin, unless --no-plugin
 *   conf/openfire.xml                the layout's, with the node's settings that live only there (admin
 *                                    console off or on --admin-port, the listeners' address); on first start also
 *                                    an autosetup block
 *                                    and the node's properties, which Openfire's setup copies into its database
 *   embedded-db/                     Openfire's HSQLDB; on later starts the launcher writes the node's
 *                                    properties into it before Openfire starts ({@link PropertyTable})
 *   admin-password                   made on first start, owner-only: the password of Openfire's user "admin"
 *   openfire.pid                     the running server, see {@link LayoutServer}
 *   logs/openfire.log, logs/console.log (openfire.sh's output)
 * </pre>
 */
final class LayoutHome {
    private static final String MARKER = "xo-layout.properties";
    private static final String VERSION_KEY = "openfire.version";
    private static final String ADMIN_PASSWORD = "admin-password";
    private static final String AUTH_JAR = "lib/xo-loopback-auth.jar";
    /**
     * Top-level entries of openfire.xml that Openfire keeps there, not in its database (its XML-only settings, the
     * setup flag, cluster identity, autosetup): --set must not touch them, since property keys are written into
     * and removed from openfire.xml.
     */
    private static final Set<String> OPENFIRE_XML_ONLY = Set.of("adminConsole", "network", "locale", "fqdn", "setup",
            "clustering", "connectionProvider", "database", "autosetup");
    /** Server state, not layout: a layout that has run itself must not hand its database or logs to a node. */
    private static final Set<String> NOT_COPIED = Set.of("embedded-db", "logs");

    private final NodeHome home;
    private final Path dir;
    private final OpenfireLayout layout;

    LayoutHome(NodeHome home, OpenfireLayout layout) {
        this.home = home;
        this.dir = home.dir();
        this.layout = layout;
    }

    static boolean isLayoutHome(Path dir) {
        return Files.exists(dir.resolve(MARKER));
    }

    /** Everything Openfire reads at start-up; Openfire must not be running. */
    void prepare(NodeOptions options) throws IOException, ConfigException {
        for (String key : options.properties.keySet()) {
            if (OPENFIRE_XML_ONLY.contains(key.split("\\.")[0])) {
                throw new ConfigException("--set " + key + " names a setting of Openfire's openfire.xml, which an"
                        + " --openfire node manages itself; it cannot be set with --set.");
            }
        }
        copyLayoutOnce();
        giveTheKeystoreACertificate(options.domain);
        if (!options.noPlugin) {
            home.deployPlugin(options.pluginJar);
        }
        writeAuthJar();
        Map<String, String> properties = NodeProperties.of(options);
        OpenfireXml xml = OpenfireXml.read(dir.resolve("conf/openfire.xml"));
        boolean setUp = isSetUp(xml);
        if (setUp) {
            // The first start's copies go: Openfire warns about openfire.xml values that differ from the database.
            properties.keySet().forEach(xml::remove);
        } else {
            // An interrupted first start may have left a half-made database; autosetup makes a new one.
            deleteTree(dir.resolve("embedded-db"));
            xml.remove("setup");
            xml.set("connectionProvider.className", "org.jivesoftware.database.EmbeddedConnectionProvider");
            addAutosetup(xml, options, properties);
            properties.forEach(xml::set);
        }
        // Settings Openfire reads from openfire.xml only, after the properties so that --set cannot undo them.
        // The admin console is off unless asked for, and then plain HTTP on the client listener's address only.
        xml.set("adminConsole.port", options.adminPort == 0 ? "-1" : Integer.toString(options.adminPort));
        xml.set("adminConsole.securePort", "-1");
        xml.set("network.interface", options.bindAddress.getHostAddress());
        xml.write();
        if (setUp) {
            PropertyTable.write(layout.hsqldbJar(), dir.resolve("embedded-db/openfire"), properties);
        }
    }

    /**
     * Openfire 5 makes its own self-signed certificate at the first start when the keystore has none, with
     * BouncyCastle's slow key generation (2.5 s of a 15 s start here); the same certificate made here takes a tenth of
     * that. A keystore of the layout's that this cannot open (another password) is left to Openfire.
     */
    private void giveTheKeystoreACertificate(String domain) {
        try {
            SelfSignedCertificate.ensure(dir.resolve("resources/security/keystore"), domain,
                    SelfSignedCertificate.OPENFIRE_STORE_PASSWORD.toCharArray());
        } catch (IOException e) {
            System.err.println("xo-node: Openfire makes the certificate itself: " + e.getMessage());
        }
    }

    private boolean isSetUp(OpenfireXml xml) {
        return "true".equals(xml.get("setup")) && Files.exists(dir.resolve("embedded-db/openfire.script"));
    }

    /**
     * First start without the web wizard: embedded database, the node's domain, a generated admin password, no
     * users. Setup sets two properties itself from autosetup's own keys, so those carry the node's values.
     */
    private void addAutosetup(OpenfireXml xml, NodeOptions options, Map<String, String> properties)
            throws IOException {
        xml.set("autosetup.run", "true");
        xml.set("autosetup.locale", "en");
        xml.set("autosetup.xmpp.domain", options.domain);
        xml.set("autosetup.xmpp.fqdn", options.domain);
        xml.set("autosetup.xmpp.auth.anonymous", properties.get("xmpp.auth.anonymous"));
        xml.set("autosetup.xmpp.socket.ssl.active", properties.get("xmpp.socket.ssl.active"));
        xml.set("autosetup.database.mode", "embedded");
        xml.set("autosetup.admin.password", adminPassword());
    }

    private void copyLayoutOnce() throws IOException, ConfigException {
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) {
            Properties made = new Properties();
            try (InputStream in = Files.newInputStream(marker)) {
                made.load(in);
            }
            String version = made.getProperty(VERSION_KEY);
            if (!layout.version().equals(version)) {
                throw new ConfigException("Home directory " + dir + " holds a node of Openfire " + version + ", not "
                        + layout.version() + "; give each Openfire version a home of its own.");
            }
            return;
        }
        if (Files.exists(dir.resolve("embedded-db"))) {
            throw new ConfigException("Home directory " + dir + " holds a node of the embedded Openfire 4.2.0;"
                    + " give the --openfire node a home of its own.");
        }
        copyWritable(layout.dir(), dir);
        Properties made = new Properties();
        made.setProperty(VERSION_KEY, layout.version());
        made.setProperty("copied.from", layout.dir().toString());
        try (OutputStream out = Files.newOutputStream(marker)) {
            made.store(out, "Openfire server layout this XO node home was copied from");
        }
    }

    /** Like {@code cp -r} then {@code chmod -R u+w}: CI lays the shared layout out without write bits. */
    private static void copyWritable(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path source, BasicFileAttributes attrs) throws IOException {
                if (source.getParent() != null && source.getParent().equals(from)
                        && NOT_COPIED.contains(source.getFileName().toString())) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(source).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path source, BasicFileAttributes attrs) throws IOException {
                Path target = to.resolve(from.relativize(source).toString());
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                if (!attrs.isSymbolicLink()) {
                    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(target);
                    permissions.add(PosixFilePermission.OWNER_WRITE);
                    Files.setPosixFilePermissions(target, permissions);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The class alone: it calls only Openfire, and the rest of the launcher is compiled against 4.2.0. */
    private void writeAuthJar() throws IOException {
        String entry = LoopbackAuthProvider.class.getName().replace('.', '/') + ".class";
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        Path jar = dir.resolve(AUTH_JAR);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".part");
        try (InputStream in = LoopbackAuthProvider.class.getResourceAsStream("/" + entry);
             JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), manifest)) {
            if (in == null) {
                throw new IOException(entry + " is missing from the node's class path");
            }
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private String adminPassword() throws IOException {
        Path file = dir.resolve(ADMIN_PASSWORD);
        if (Files.exists(file)) {
            return Files.readString(file).trim();
        }
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, password + "\n");
        return password;
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.notExists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
