package org.xo.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Test;

public class NodeOptionsTest {
    @Test
    public void openfireNamesAServerLayoutAndDefaultsToTheEmbeddedOne() throws Exception {
        assertNull(NodeOptions.parse(new String[0]).openfireDir);
        assertEquals(Path.of("/opt/openfire"),
                NodeOptions.parse(new String[] {"--openfire", "/opt/openfire"}).openfireDir);
        assertEquals(Path.of("/opt/of"), NodeOptions.parse(new String[] {"--openfire=/opt/of"}).openfireDir);
    }

    @Test
    public void setTakesOpenfirePropertyNames() throws Exception {
        NodeOptions o = NodeOptions.parse(new String[] {"--set", "xo.pacing.max-delay-ms=20", "--set", "a_b.c=x=y"});
        assertEquals("20", o.properties.get("xo.pacing.max-delay-ms"));
        assertEquals("x=y", o.properties.get("a_b.c"));
        for (String bad : new String[] {"two words=1", ".leading=1", "trailing.=1", "1st.segment=1", "a..b=1"}) {
            try {
                NodeOptions.parse(new String[] {"--set", bad});
                fail("accepted --set " + bad);
            } catch (ConfigException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("--set needs a property name")
                        && e.getMessage().endsWith("."));
            }
        }
    }

    @Test
    public void theKeyFileSettingBecomesAnAbsolutePathAndGenerateKeyNamesItsFile() throws Exception {
        NodeOptions o = NodeOptions.parse(new String[] {"--set", "xo.security.key-file=keys/overlay.key",
                "--generate-key", "new.key"});
        assertEquals(Path.of("keys/overlay.key").toAbsolutePath().toString(),
                o.properties.get("xo.security.key-file"));
        assertEquals(Path.of("new.key"), o.generateKey);
        assertEquals("empty stays empty: an open overlay", "",
                NodeOptions.parse(new String[] {"--set", "xo.security.key-file="}).properties.get("xo.security.key-file"));
    }

    @Test
    public void adminPortOfTheEmbeddedNodeListensOnLoopbackOnly() throws Exception {
        assertEquals(0, NodeOptions.parse(new String[0]).adminPort);
        Path jar = Files.createTempFile("xo-plugin", ".jar");
        try {
            NodeOptions open = NodeOptions.parse(new String[] {"--admin-port", "9090", "--bind", "0.0.0.0",
                    "--plugin", jar.toString()});
            open.validate();
            assertEquals(9090, open.adminPort);
            assertTrue(open.adminAddress().getHostAddress(), open.adminAddress().isLoopbackAddress());
            NodeOptions local = NodeOptions.parse(new String[] {"--admin-port", "9090", "--bind", "127.0.0.2",
                    "--plugin", jar.toString()});
            local.validate();
            assertEquals("127.0.0.2", local.adminAddress().getHostAddress());
        } finally {
            Files.delete(jar);
        }
        try {
            NodeOptions.parse(new String[] {"--admin-port", "http"});
            fail("accepted a port that is no number");
        } catch (ConfigException e) {
            assertEquals("--admin-port must be a port number from 1 to 65535, not 'http'.", e.getMessage());
        }
    }

    @Test
    public void resetStatusPasswordIsAFlagForTheEmbeddedStatusView() throws Exception {
        assertFalse(NodeOptions.parse(new String[0]).resetStatusPassword);
        Path jar = Files.createTempFile("xo-plugin", ".jar");
        try {
            NodeOptions reset = NodeOptions.parse(new String[] {"--reset-status-password", "--admin-port", "9090",
                    "--plugin", jar.toString()});
            reset.validate();
            assertTrue(reset.resetStatusPassword);
            NodeOptions withoutPort = NodeOptions.parse(new String[] {"--plugin", jar.toString(),
                    "--reset-status-password"});
            try {
                withoutPort.validate();
                fail("accepted --reset-status-password without --admin-port");
            } catch (ConfigException e) {
                assertEquals("--reset-status-password needs --admin-port and the embedded Openfire 4.2.0 (with"
                        + " --openfire the admin password is in <home>/admin-password).", e.getMessage());
            }
        } finally {
            Files.delete(jar);
        }
    }

    @Test
    public void noPluginNeedsNoJarAndTheLaterOfItAndPluginWins() throws Exception {
        NodeOptions none = NodeOptions.parse(new String[] {"--no-plugin"});
        assertTrue(none.noPlugin);
        none.validate(); // no --plugin and no xo.jar: nothing to check

        // bin/xo-node passes --plugin before the operator's options.
        assertTrue(NodeOptions.parse(new String[] {"--plugin", "target/xo.jar", "--no-plugin"}).noPlugin);
        NodeOptions again = NodeOptions.parse(new String[] {"--no-plugin", "--plugin", "/missing/xo.jar"});
        assertFalse(again.noPlugin);
        try {
            again.validate();
            fail("accepted a plugin JAR that does not exist");
        } catch (ConfigException e) {
            assertEquals("Plugin JAR /missing/xo.jar does not exist.", e.getMessage());
        }
        try {
            NodeOptions.parse(new String[] {"--no-plugin=yes"});
            fail("accepted a value for --no-plugin");
        } catch (ConfigException e) {
            assertEquals("Option --no-plugin takes no value (see --help).", e.getMessage());
        }
        assertTrue(NodeOptions.USAGE.contains("--no-plugin"));
    }

    @Test
    public void bridgeConfiguresTheGatewayAndTurnsServerToServerOn() throws Exception {
        NodeOptions plain = NodeOptions.parse(new String[0]);
        plain.bindAddress = java.net.InetAddress.getLoopbackAddress();
        assertEquals("false", NodeProperties.of(plain).get("xmpp.server.socket.active"));

        NodeOptions o = NodeOptions.parse(new String[] {"--bridge", "lobby=hall@conference.enterprise.test",
                "--far-server", "127.0.0.2:5270"});
        o.bindAddress = java.net.InetAddress.getLoopbackAddress();
        java.util.Map<String, String> p = NodeProperties.of(o);
        assertEquals("true", p.get("xmpp.server.socket.active"));
        assertEquals("lobby", p.get("xo.gateway.room"));
        assertEquals("hall@conference.enterprise.test", p.get("xo.gateway.far-room"));
        assertEquals("{conference.enterprise.test,127.0.0.2:5270},{enterprise.test,127.0.0.2:5270}",
                p.get("dnsutil.dnsOverride"));
        assertEquals("s2s TLS off for Openfire 4.2", "false", p.get("xmpp.server.tls.enabled"));
        assertEquals("and for 4.3+, whose listener reads its policy", "disabled", p.get("xmpp.server.tls.policy"));
        assertEquals("the embedded 4.2.0's dialback check in TLS 1.2", "TLSv1.2", p.get("xmpp.socket.ssl.protocols"));
        o.openfireDir = java.nio.file.Path.of("/opt/openfire");
        assertEquals("a server layout keeps its TLS versions", null,
                NodeProperties.of(o).get("xmpp.socket.ssl.protocols"));
        for (String bad : new String[] {"lobby", "=hall@conference.enterprise.test", "lobby=hall",
                "lobby=hall@conference.enterprise.test/nick"}) {
            try {
                NodeOptions.parse(new String[] {"--bridge", bad});
                fail("accepted --bridge " + bad);
            } catch (ConfigException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("--bridge takes ROOM=FARROOM"));
            }
        }
    }
}
