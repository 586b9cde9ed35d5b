package org.xo.security;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The overlay key ring: the keys a node seals with and accepts, read from the file that {@code xo.security.key-file}
 * names. Only the JDK: the headless node's {@code --generate-key} loads this class from the plugin JAR.
 * <p>
 * <b>Key file</b>, UTF-8 text; lines starting with {@code #} and blank lines are comments:
 * <pre>
 * xo-key-v1 ID KEY
 * </pre>
 * KEY is the 256-bit key in base64 (RFC 4648, with padding); ID four hex digits, the first two bytes of
 * SHA-256("xo overlay key id" || key). The ID travels in clear in every sealed datagram so that a receiver picks the
 * right key without trying them all; in the file it also catches a key damaged by copying.
 * <p>
 * <b>Rotation</b>: a file may hold up to {@value #MAX_KEYS} keys. The node seals with the <em>first</em> and
 * accepts all of them. To replace key A by key B without a moment where two nodes do not understand each other:
 * (1) give every node a file with A then B (still sending with A, already accepting B); (2) when all have it, a file
 * with B then A (sending with B, still accepting A from nodes not yet switched); (3) a file with B alone. A node
 * that sent with the newest key as soon as it had it would be unreadable to every node not yet given that key.
 * <p>
 * Immutable; equal when the same keys are in the same order.
 */
public final class OverlayKeys {
    /** The first word of a key line: the format's version. */
    public static final String LINE_PREFIX = "xo-key-v1";
    /** Keys one file may hold: an old and a new one during a rotation, with room for a spare. */
    public static final int MAX_KEYS = 4;
    /** AES-256. */
    static final int KEY_BYTES = 32;
    /** A key file is a few lines; anything larger is not one. */
    private static final long MAX_FILE_BYTES = 8192;
    private static final byte[] ID_LABEL = "xo overlay key id".getBytes(StandardCharsets.US_ASCII);

    /** One key: its id (0..65535) and its 32 bytes. */
    public static final class Key {
        private final int id;
        private final byte[] secret;

        private Key(byte[] secret) {
            this.secret = secret.clone();
            this.id = idOf(secret);
        }

        /** @return the key id as written in the file and shown to operators: four hex digits */
        public String idText() {
            return String.format(Locale.ROOT, "%04x", id);
        }

        int id() {
            return id;
        }

        byte[] secret() {
            return secret;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && MessageDigest.isEqual(secret, k.secret);
        }

        @Override
        public int hashCode() {
            return id;
        }

        @Override
        public String toString() {
            return "key " + idText(); // never the secret
        }
    }

    /** A key file that cannot be used; the message is one sentence that names the file. */
    public static final class KeyFileException extends Exception {
        private static final long serialVersionUID = 1L;

        public KeyFileException(String message) {
            super(message);
        }
    }

    private final List<Key> keys;

    private OverlayKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /** @return a ring of the given 32-byte keys, the first one sealing */
    public static OverlayKeys of(byte[]... secrets) {
        List<Key> keys = new ArrayList<>();
        for (byte[] s : secrets) {
            if (s.length != KEY_BYTES) {
                throw new IllegalArgumentException("An overlay key has " + KEY_BYTES + " bytes, not " + s.length + ".");
            }
            keys.add(new Key(s));
        }
        String problem = problem(keys, "The ring");
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new OverlayKeys(keys);
    }

    /** @return a new random 256-bit key */
    public static byte[] randomSecret() {
        byte[] secret = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** @return the key the node seals with */
    public Key sealing() {
        return keys.get(0);
    }

    /** @return the key with this id, or null when the ring has none */
    Key byId(int id) {
        for (Key k : keys) {
            if (k.id == id) {
                return k;
            }
        }
        return null;
    }

    public List<Key> keys() {
        return keys;
    }

    /**
     * Reads a key file.
     *
     * @throws KeyFileException when it cannot be read or is not a key file, in one sentence naming it
     */
    public static OverlayKeys load(Path file) throws KeyFileException {
        List<String> lines;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new KeyFileException("Key file " + file + " is not an XO key file (larger than "
                        + MAX_FILE_BYTES + " bytes).");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("Key file " + file + " does not exist.");
        } catch (IOException | RuntimeException e) {
            throw new KeyFileException("Key file " + file + " cannot be read: " + e.getMessage() + ".");
        }
        List<Key> keys = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            keys.add(parseLine(file, i + 1, line));
        }
        String problem = problem(keys, "Key file " + file);
        if (problem != null) {
            throw new KeyFileException(problem);
        }
        return new OverlayKeys(keys);
    }

    private static Key parseLine(Path file, int number, String line) throws KeyFileException {
        String[] words = line.split("\\s+");
        String where = "Key file " + file + ", line " + number;
        if (words.length != 3 || !words[0].equals(LINE_PREFIX)) {
            throw new KeyFileException(where + ", is not '" + LINE_PREFIX + " ID KEY' (make one with bin/xo-node"
                    + " --generate-key FILE).");
        }
        byte[] secret;
        try {
            secret = Base64.getDecoder().decode(words[2]);
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(where + ", has a key that is not base64.");
        }
        if (secret.length != KEY_BYTES) {
            throw new KeyFileException(where + ", has a key of " + secret.length + " bytes, not " + KEY_BYTES + ".");
        }
        Key key = new Key(secret);
        if (!key.idText().equalsIgnoreCase(words[1])) {
            throw new KeyFileException(where + ", has a key whose id is " + key.idText() + ", not " + words[1]
                    + ": the key was changed or damaged.");
        }
        return key;
    }

    /** @return null when the keys make a ring, else why not in one sentence */
    private static String problem(List<Key> keys, String what) {
        if (keys.isEmpty()) {
            return what + " holds no key.";
        }
        if (keys.size() > MAX_KEYS) {
            return what + " holds " + keys.size() + " keys, at most " + MAX_KEYS + " are taken.";
        }
        Set<Integer> ids = new HashSet<>();
        for (Key k : keys) {
            if (!ids.add(k.id)) {
                return what + " holds two keys with id " + k.idText() + " (the same key twice, or a one in 65,536"
                        + " chance: generate another).";
            }
        }
        return null;
    }

    /**
     * Writes a new random key to a new file, readable and writable by its owner only (on file systems with POSIX
     * permissions); never overwrites.
     *
     * @return the new key's id
     * @throws KeyFileException when the file exists or cannot be written, in one sentence
     */
    public static String generate(Path file) throws KeyFileException {
        Key key = new Key(randomSecret());
        String text = "# XO overlay key " + key.idText() + ", made " + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + ". Every node of the overlay needs this file (setting xo.security.key-file).\n"
                + "# Anyone who has it can read and speak in the overlay: keep it secret.\n"
                + LINE_PREFIX + " " + key.idText() + " " + Base64.getEncoder().encodeToString(key.secret) + "\n";
        try {
            createOwnerOnly(file);
        } catch (FileAlreadyExistsException e) {
            throw new KeyFileException("Key file " + file + " already exists; it was not overwritten (delete it first,"
                    + " or choose another name).");
        } catch (IOException e) {
            throw new KeyFileException("Key file " + file + " cannot be created: " + e.getMessage() + ".");
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(text);
        } catch (IOException e) {
            throw new KeyFileException("Key file " + file + " cannot be written: " + e.getMessage() + ".");
        }
        return key.idText();
    }

    /** Creates the file with owner-only permissions from the start, so that no other user can open it meanwhile. */
    private static void createOwnerOnly(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
            file.toFile().setReadable(false, false);
            file.toFile().setReadable(true, true);
            file.toFile().setWritable(false, false);
            file.toFile().setWritable(true, true);
        }
    }

    private static int idOf(byte[] secret) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ID_LABEL);
            byte[] digest = sha.digest(secret);
            return ((digest[0] & 0xFF) << 8) | (digest[1] & 0xFF);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    /** @return the key ids, the sealing one first, e.g. "3f2a, 91bc" */
    public String idsText() {
        return String.join(", ", keys.stream().map(Key::idText).toList());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OverlayKeys k && keys.equals(k.keys);
    }

    @Override
    public int hashCode() {
        return keys.hashCode();
    }

    @Override
    public String toString() {
        return "overlay keys " + idsText();
    }
}
