package org.xo.security;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class OverlayKeysTest {
    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void aGeneratedKeyIsOwnerOnlyLoadsBackAndIsNeverOverwritten() throws Exception {
        Path file = dir.getRoot().toPath().resolve("overlay.key");
        String id = OverlayKeys.generate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        OverlayKeys keys = OverlayKeys.load(file);
        assertEquals(id, keys.sealing().idText());
        byte[] before = Files.readAllBytes(file);

        OverlayKeys.KeyFileException e = assertThrows(OverlayKeys.KeyFileException.class,
                () -> OverlayKeys.generate(file));
        assertTrue(e.getMessage(), e.getMessage().contains("already exists; it was not overwritten"));
        assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(file));
    }

    @Test
    public void twoGeneratedKeysDiffer() throws Exception {
        Path a = dir.getRoot().toPath().resolve("a.key");
        Path b = dir.getRoot().toPath().resolve("b.key");
        OverlayKeys.generate(a);
        OverlayKeys.generate(b);
        assertNotEquals(OverlayKeys.load(a), OverlayKeys.load(b));
    }

    @Test
    public void aRotationFileSealsWithItsFirstKeyAndHoldsBoth() throws Exception {
        Path a = dir.getRoot().toPath().resolve("a.key");
        Path b = dir.getRoot().toPath().resolve("b.key");
        OverlayKeys.generate(a);
        OverlayKeys.generate(b);
        Path both = dir.getRoot().toPath().resolve("both.key");
        Files.writeString(both, Files.readString(b) + "\n" + Files.readString(a));
        OverlayKeys ring = OverlayKeys.load(both);
        assertEquals(OverlayKeys.load(b).sealing(), ring.sealing());
        assertEquals(List.of(OverlayKeys.load(b).sealing(), OverlayKeys.load(a).sealing()), ring.keys());
    }

    @Test
    public void malformedFilesAreRefusedWithOneSentenceNamingTheFile() throws Exception {
        Path file = dir.getRoot().toPath().resolve("k");
        OverlayKeys.generate(file);
        String good = Files.readAllLines(file).get(2);
        String[] words = good.split(" ");
        assertRefused("does not exist", null);
        assertRefused("holds no key", "# only a comment\n");
        assertRefused("is not 'xo-key-v1 ID KEY'", "secret\n");
        assertRefused("not base64", words[0] + " " + words[1] + " !!!\n");
        assertRefused("of 16 bytes, not 32", words[0] + " " + words[1] + " AAAAAAAAAAAAAAAAAAAAAA==\n");
        // One character of the key changed: the id no longer matches.
        char c = words[2].charAt(5);
        String damaged = words[2].substring(0, 5) + (c == 'A' ? 'B' : 'A') + words[2].substring(6);
        assertRefused("the key was changed or damaged", words[0] + " " + words[1] + " " + damaged + "\n");
        assertRefused("two keys with id", good + "\n" + good + "\n");
    }

    private void assertRefused(String expected, String content) throws Exception {
        Path file = dir.getRoot().toPath().resolve("bad-" + System.nanoTime());
        if (content != null) {
            Files.writeString(file, content);
        }
        OverlayKeys.KeyFileException e = assertThrows(OverlayKeys.KeyFileException.class, () -> OverlayKeys.load(file));
        assertTrue(e.getMessage(), e.getMessage().contains(expected));
        assertTrue(e.getMessage(), e.getMessage().contains(file.toString()));
    }
}
