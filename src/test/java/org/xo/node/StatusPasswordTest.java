package org.xo.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class StatusPasswordTest {
    private Path dir;
    private Path file;

    @Before
    public void makeDir() throws IOException {
        dir = Files.createTempDirectory("xo-status-password");
        file = dir.resolve(StatusPassword.FILE_NAME);
    }

    @After
    public void deleteDir() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Test
    public void aNewPasswordIsReadableAndOnlyItsSaltedHashIsStoredOwnerOnly() throws Exception {
        String password = StatusPassword.create(file);

        assertTrue(password, password.matches("[2-9a-km-zA-HJ-NP-Z]{4}(-[2-9a-km-zA-HJ-NP-Z]{4}){4}"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String stored = Files.readString(file);
        assertTrue(stored, stored.matches("pbkdf2-sha256:600000:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]{44}\n"));
        assertFalse(stored.contains(password));
        assertFalse(stored.contains(password.replace("-", "")));
        assertEquals("nothing else is left in the home", List.of(file), Files.list(dir).toList());

        StatusPassword read = StatusPassword.read(file);
        assertTrue(read.matches(password));
        assertFalse(read.matches(password.substring(1)));
        assertFalse(read.matches(password.toUpperCase()));
        assertFalse(read.matches(""));
    }

    @Test
    public void aResetReplacesThePasswordAndItsSalt() throws Exception {
        String first = StatusPassword.create(file);
        String firstLine = Files.readString(file);
        String second = StatusPassword.create(file);

        assertNotEquals(first, second);
        String secondLine = Files.readString(file);
        assertNotEquals(firstLine.split(":")[2], secondLine.split(":")[2]);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(StatusPassword.read(file).matches(first));
    }

    @Test
    public void aHomeMakesItsPasswordOnceAndANewOneOnReset() throws Exception {
        EmbeddedHome home = new EmbeddedHome(new NodeHome(dir));
        assertEquals(file, home.statusPasswordFile());

        String first = home.statusPassword(false);
        assertNotNull(first);
        assertNull("a later start shows nothing", home.statusPassword(false));
        assertTrue(StatusPassword.read(file).matches(first));

        String reset = home.statusPassword(true);
        assertNotEquals(first, reset);
        assertTrue(StatusPassword.read(file).matches(reset));

        Files.delete(file);
        assertNotNull("a deleted file means a new password", home.statusPassword(false));
    }

    @Test
    public void theIterationCountIsTheStoredOne() throws Exception {
        String password = StatusPassword.create(file);
        String[] parts = Files.readString(file).trim().split(":");
        Files.writeString(file, String.join(":", parts[0], "1", parts[2], parts[3]) + "\n");

        assertFalse("the hash of 600000 iterations is not that of 1", StatusPassword.read(file).matches(password));
    }

    @Test
    public void aDamagedFileIsRefusedWithWhatToDo() throws Exception {
        for (String content : new String[] {"", "secret\n", "pbkdf2-sha256:600000:c2FsdA==\n",
                "pbkdf2-sha256:many:c2FsdA==:" + "A".repeat(43) + "=\n", "md5:1:c2FsdA==:c2FsdA==\n",
                "pbkdf2-sha256:600000:c2FsdA==:c2FsdA==\n"}) {
            Files.writeString(file, content);
            try {
                StatusPassword.read(file);
                fail("accepted " + content);
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith(file + " is not a status password hash")
                        && e.getMessage().endsWith("delete it and start the node to make a new password"));
            }
        }
    }
}
