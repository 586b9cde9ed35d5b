package org.xo.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The node's key generator, with the plugin's classes (target/classes) standing in for the plugin JAR. */
public class KeyGeneratorTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static Path pluginClasses() throws Exception {
        return Path.of(org.xo.security.OverlayKeys.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    public void writesAKeyWithThePluginsCodeAndNeverOverwritesIt() throws Exception {
        Path file = folder.getRoot().toPath().resolve("overlay.key");
        String said = KeyGenerator.generate(pluginClasses(), file);
        String id = org.xo.security.OverlayKeys.load(file).sealing().idText();
        assertTrue(said, said.startsWith("Wrote overlay key " + id + " to " + file.toAbsolutePath()));
        assertTrue(said, said.contains("--set xo.security.key-file="));
        String before = Files.readString(file);
        ConfigException e = assertThrows(ConfigException.class, () -> KeyGenerator.generate(pluginClasses(), file));
        assertEquals("Key file " + file + " already exists; it was not overwritten (delete it first, or choose"
                + " another name).", e.getMessage());
        assertEquals(before, Files.readString(file));
    }

    @Test
    public void withoutThePluginJarItSaysSo() {
        Path missing = folder.getRoot().toPath().resolve("xo.jar");
        ConfigException e = assertThrows(ConfigException.class,
                () -> KeyGenerator.generate(missing, folder.getRoot().toPath().resolve("k")));
        assertTrue(e.getMessage(), e.getMessage().startsWith("--generate-key needs the XO plugin JAR"));
    }
}
