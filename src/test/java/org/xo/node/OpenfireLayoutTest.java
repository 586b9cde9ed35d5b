package org.xo.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The --openfire check on made-up layouts: empty files where the check only looks for names, and a server JAR that
 * holds nothing but a manifest with the version. A real layout is started by the integration tests (NodeStartIT).
 */
public class OpenfireLayoutTest {
    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void versionsFrom4Point8OnAreSupported() {
        assertTrue(OpenfireLayout.isSupported("4.8.0"));
        assertTrue(OpenfireLayout.isSupported("4.9.2"));
        assertTrue(OpenfireLayout.isSupported("5.1.1"));
        assertTrue(OpenfireLayout.isSupported("5.2.0-SNAPSHOT"));
        assertTrue(OpenfireLayout.isSupported("10.0.0"));
        assertFalse(OpenfireLayout.isSupported("4.7.5"));
        assertFalse(OpenfireLayout.isSupported("4.2.0"));
        assertFalse(OpenfireLayout.isSupported("of unknown version"));
    }

    @Test
    public void readsTheVersionFromTheServerJarsManifest() throws Exception {
        Path dir = madeUpLayout("5.1.1");
        OpenfireLayout layout = OpenfireLayout.open(dir);
        assertEquals("5.1.1", layout.version());
        assertEquals(dir.resolve("lib/hsqldb-2.7.4.jar"), layout.hsqldbJar());
    }

    @Test
    public void anOlderOpenfireIsRefusedInOneSentence() throws Exception {
        assertRefused(madeUpLayout("4.7.5"), "holds Openfire 4.7.5, but an XO node needs Openfire 4.8 or newer.");
    }

    @Test
    public void aFolderWithoutServerIsRefusedInOneSentence() throws Exception {
        assertRefused(folder.newFolder("empty").toPath(), "is not an Openfire server layout");
        assertRefused(folder.getRoot().toPath().resolve("missing"), "is not a directory.");
    }

    private static void assertRefused(Path dir, String mention) {
        try {
            OpenfireLayout.open(dir);
            fail("accepted " + dir);
        } catch (ConfigException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(mention) && e.getMessage().endsWith("."));
            assertFalse(e.getMessage(), e.getMessage().contains("\n"));
        }
    }

    private Path madeUpLayout(String version) throws Exception {
        Path dir = folder.newFolder("openfire-" + version).toPath();
        Files.createDirectories(dir.resolve("bin"));
        Files.createFile(dir.resolve("bin/openfire.sh"));
        Files.createDirectories(dir.resolve("lib"));
        Files.createFile(dir.resolve("lib/hsqldb-2.7.4.jar"));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        try (OutputStream out = Files.newOutputStream(dir.resolve("lib/xmppserver-" + version + ".jar"));
             JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
        return dir;
    }
}
