package org.xo.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Locale;

/**
 * The Openfire home directory of one node, laid out as Openfire 4.2.0 expects it without its setup wizard:
 * <pre>
 *   conf/openfire.xml                      setup done, our connection provider, listener address, no admin console
 *   conf/security.xml                      read by Openfire's property encryption
 *   resources/database/openfire_hsqldb.sql schema Openfire installs on first start (not in any Maven artifact)
 *   resources/security/{keystore,truststore,client.truststore}  JKS stores, password changeit; the keystore
 *                                          gets a self-signed certificate for the domain (STARTTLS)
 *   plugins/admin/plugin.xml               Openfire's plugin monitor treats the first plugin as "admin"
 *   plugins/xo.jar                         the XO plugin; Openfire unpacks it into plugins/xo/
 *   embedded-db/, logs/
 * </pre>
 * Files the operator may have edited (openfire.xml aside, which encodes command-line options) are only written
 * when missing.
 */
final class NodeHome {
    private static final String STORE_PASSWORD = "changeit";

    private final Path dir;
    private FileChannel lockChannel;

    NodeHome(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    Path logs() {
        return dir.resolve("logs");
    }

    /** Creates the directories and proves they are writable; one node per home at a time. */
    void claim() throws ConfigException {
        try {
            Files.createDirectories(logs());
            Files.createDirectories(dir.resolve("conf"));
            Path lockFile = dir.resolve("xo-node.lock");
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new ConfigException("Home directory " + dir + " is in use by another running XO node.");
            }
        } catch (IOException e) {
            throw new ConfigException("Home directory " + dir + " cannot be created or written: " + reason(e) + ".");
        }
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "a parent directory does not exist and cannot be created";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason().toLowerCase(Locale.ROOT);
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Writes everything Openfire reads at start-up; the options are validated. */
    void prepare(NodeOptions options) throws IOException {
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
        deployPlugin(options.pluginJar);
    }

    private void writeOpenfireXml(NodeOptions options) throws IOException {
        String xml = new String(resource("openfire.xml"), StandardCharsets.UTF_8)
                .replace("@CONNECTION_PROVIDER@", HsqlConnectionProvider.class.getName())
                .replace("@INTERFACE@", options.bindAddress.getHostAddress());
        write(dir.resolve("conf/openfire.xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    /** Copies the plugin when it is missing or older than the given JAR; Openfire then re-extracts it. */
    private void deployPlugin(Path jar) throws IOException {
        Path target = dir.resolve("plugins/xo.jar");
        if (Files.notExists(target)
                || Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(target)) > 0) {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("xo.jar.part");
            Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            // Atomic, so Openfire's plugin monitor never unpacks a half-copied JAR.
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
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
