package org.xo.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The password of the embedded node's status view ({@code --admin-port}): made at the first start, shown once, kept
 * only as a salted PBKDF2-HMAC-SHA256 hash in one owner-only file of the node's home, one line
 * {@code pbkdf2-sha256:<iterations>:<salt>:<hash>} (Base64). The iteration count is read from the file, so a later
 * release may raise it without invalidating an existing password.
 */
final class StatusPassword {
    static final String FILE_NAME = "status-password";
    /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256; a check costs 0.3-1 s on a small machine. */
    static final int ITERATIONS = 600_000;
    private static final String SCHEME = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    /** No 0/O, 1/l/I: the password is read off a console and typed. */
    private static final String ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    /** 20 characters of 56 (116 bits), in groups of four for reading. */
    private static final int GROUPS = 5;
    private static final int GROUP_LENGTH = 4;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    private StatusPassword(int iterations, byte[] salt, byte[] hash) {
        this.iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /**
     * Makes a new password and replaces the file with its hash: atomically, created owner-only, so that no other
     * user can ever read it and a crash leaves the old file or the new one.
     *
     * @return the password, which exists in clear nowhere else
     */
    static String create(Path file) throws IOException {
        String password = generate();
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        StatusPassword stored = new StatusPassword(ITERATIONS, salt, derive(password, salt, ITERATIONS));
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), FILE_NAME, ".part",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            Files.writeString(tmp, stored.line() + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return password;
    }

    /** Reads a stored hash; an unreadable or malformed file is an IOException naming the file. */
    static StatusPassword read(Path file) throws IOException {
        String[] parts = Files.readString(file, StandardCharsets.US_ASCII).trim().split(":");
        try {
            if (parts.length == 4 && parts[0].equals(SCHEME)) {
                int iterations = Integer.parseInt(parts[1]);
                byte[] salt = Base64.getDecoder().decode(parts[2]);
                byte[] hash = Base64.getDecoder().decode(parts[3]);
                if (iterations > 0 && salt.length > 0 && hash.length == HASH_BITS / 8) {
                    return new StatusPassword(iterations, salt, hash);
                }
            }
        } catch (IllegalArgumentException e) {
            // reported below with the file's name
        }
        throw new IOException(file + " is not a status password hash (" + SCHEME
                + ":<iterations>:<salt>:<hash>); delete it and start the node to make a new password");
    }

    /** Slow on purpose (PBKDF2); compares in constant time. */
    boolean matches(String candidate) {
        return MessageDigest.isEqual(hash, derive(candidate, salt, iterations));
    }

    private String line() {
        return SCHEME + ":" + iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":"
                + Base64.getEncoder().encodeToString(hash);
    }

    private static String generate() {
        StringBuilder password = new StringBuilder();
        for (int g = 0; g < GROUPS; g++) {
            if (g > 0) {
                password.append('-');
            }
            for (int i = 0; i < GROUP_LENGTH; i++) {
                password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
            }
        }
        return password.toString();
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        char[] chars = password.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            // Every Java SE 8+ runtime has this algorithm.
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }
}
