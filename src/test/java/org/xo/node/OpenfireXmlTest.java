package org.xo.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class OpenfireXmlTest {
    /** The shape of an Openfire 4.8+ layout's conf/openfire.xml after a first start: comments, own entries. */
    private static final String AFTER_SETUP = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- root element, all properties must be under this element -->
            <jive>
                <adminConsole>
                    <!-- Disable either port by setting the value to -1 -->
                    <port>9090</port>
                    <securePort>9091</securePort>
                </adminConsole>
                <xmpp><socket><plain><port>5222</port></plain></socket></xmpp>
                <setup>true</setup>
                <clustering><nodeid>0f1e</nodeid></clustering>
            </jive>
            """;

    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void readsSetsAndRemovesPropertiesByDottedName() throws Exception {
        Path file = write(AFTER_SETUP);
        OpenfireXml xml = OpenfireXml.read(file);
        assertEquals("true", xml.get("setup"));
        assertEquals("9090", xml.get("adminConsole.port"));
        assertNull(xml.get("network.interface"));

        xml.set("adminConsole.port", "-1");
        xml.set("network.interface", "127.0.0.1");
        xml.remove("xmpp.socket.plain.port");
        xml.write();

        OpenfireXml reread = OpenfireXml.read(file);
        assertEquals("-1", reread.get("adminConsole.port"));
        assertEquals("9091", reread.get("adminConsole.securePort"));
        assertEquals("127.0.0.1", reread.get("network.interface"));
        assertEquals("0f1e", reread.get("clustering.nodeid"));
        String text = Files.readString(file);
        assertFalse("a removed property leaves no empty parents behind: " + text, text.contains("<xmpp"));
        assertTrue("comments are kept: " + text, text.contains("Disable either port"));
    }

    @Test
    public void removingAPropertyRemovesItsSubProperties() throws Exception {
        Path file = write(AFTER_SETUP);
        OpenfireXml xml = OpenfireXml.read(file);
        xml.set("autosetup.run", "true");
        xml.set("autosetup.xmpp.domain", "xo.test");
        xml.remove("autosetup");
        assertNull(xml.get("autosetup.xmpp.domain"));
        assertNull(xml.get("autosetup"));
    }

    /** Rewritten at every start: the layout of the file must not drift (no indentation added each time). */
    @Test
    public void writingTwiceGivesTheSameFile() throws Exception {
        Path file = write(AFTER_SETUP);
        OpenfireXml.read(file).write();
        String once = Files.readString(file);
        OpenfireXml.read(file).write();
        assertEquals(once, Files.readString(file));
    }

    private Path write(String content) throws Exception {
        Path file = folder.newFile("openfire.xml").toPath();
        Files.writeString(file, content.strip());
        return file;
    }
}
