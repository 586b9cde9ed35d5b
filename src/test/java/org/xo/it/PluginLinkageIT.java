package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Every class of the plugin JAR (the plugin's code, its compiled admin pages, the relocated JmDNS) links against the
 * libraries of each Openfire: 4.2.0's (the class path the project builds against) and the server layout's lib/ of
 * 5.1.1. A reference to a member that Openfire 5.1.1 no longer has with the same signature fails here, naming it,
 * instead of as a NoSuchMethodError when an operator opens a page.
 */
@RunWith(Parameterized.class)
public class PluginLinkageIT {
    /** Removed in Openfire 4.9.2 → 5.1.1 (see docs/openfire-api-4.2-vs-head.md): the check must see it missing. */
    private static final String PLUGIN_MANAGER = "org/jivesoftware/openfire/container/PluginManager";
    private static final String GET_PLUGIN = "getPlugin (Ljava/lang/String;)Lorg/jivesoftware/openfire/container/Plugin;";

    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    private final Openfire openfire;

    public PluginLinkageIT(Openfire openfire) {
        this.openfire = openfire;
    }

    private List<Path> libraries() throws Exception {
        if (openfire == Openfire.V4_2_0) {
            String classPath = Files.readString(Path.of(System.getProperty("xo.node.classpath.file"))).trim();
            return Arrays.stream(classPath.split(java.io.File.pathSeparator)).map(Path::of).toList();
        }
        openfire.requireOrSkip();
        try (Stream<Path> jars = Files.list(openfire.layout().resolve("lib"))) {
            return new ArrayList<>(jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList());
        }
    }

    @Test
    public void everyClassOfThePluginJarLinks() throws Exception {
        LinkChecker checker = new LinkChecker(libraries());
        try (InputStream jar = Files.newInputStream(Path.of(System.getProperty("xo.plugin.jar")))) {
            checker.addClassesOf(jar);
        }

        assertEquals("references Openfire " + openfire + " cannot satisfy", List.of(), List.copyOf(checker.missing()));
        assertTrue("classes read: " + checker.classesChecked(), checker.classesChecked() > 100);
        assertTrue("references resolved: " + checker.resolved(), checker.resolved() > 300);
        for (String page : List.of("org/xo/openfire/jsp/settings_jsp", "org/xo/openfire/jsp/status_jsp",
                "org/xo/openfire/StatusServlet", "org/xo/shaded/jmdns/JmDNS")) {
            assertTrue(page + " is checked", checker.checks(page));
        }
    }

    @Test
    public void aMemberThatOpenfireRemovedIsSeenMissing() throws Exception {
        LinkChecker checker = new LinkChecker(libraries());

        if (openfire == Openfire.V4_2_0) {
            assertTrue(checker.links(PLUGIN_MANAGER, GET_PLUGIN));
        } else {
            assertFalse(checker.links(PLUGIN_MANAGER, GET_PLUGIN));
        }
        assertTrue(checker.links("org/jivesoftware/util/JiveGlobals", "getProperty (Ljava/lang/String;)Ljava/lang/String;"));
    }
}
