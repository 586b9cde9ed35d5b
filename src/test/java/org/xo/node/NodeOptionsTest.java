package org.xo.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

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
}
