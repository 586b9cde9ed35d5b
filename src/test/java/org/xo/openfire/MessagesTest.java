package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.Test;

public class MessagesTest {
    private final Messages messages = Messages.of(Locale.ENGLISH);

    @Test
    public void everyKeyThatPluginXmlAndThePagesNameIsInTheBundle() throws Exception {
        Set<String> keys = new TreeSet<>();
        collect(Files.readString(Path.of("plugin.xml")), Pattern.compile("\"\\$\\{(xo\\.[^}]+)}\""), keys);
        try (Stream<Path> pages = Files.list(Path.of("web"))) {
            for (Path page : pages.filter(p -> p.toString().endsWith(".jsp")).toList()) {
                collect(Files.readString(page), Pattern.compile("<fmt:message key=\"(xo\\.[^\"$]+)\""), keys);
            }
        }

        assertTrue("keys found: " + keys, keys.containsAll(List.of("xo.admin.sidebar", "xo.admin.status",
                "xo.settings.title", "xo.status.title")));
        assertEquals(List.of(), keys.stream().filter(k -> messages.get(k).startsWith("???")).toList());
    }

    @Test
    public void argumentsAreFilledInWithoutNumberFormatting() {
        assertEquals("Must be a whole number from 1 to 65535, not \u201c100000\u201d.", messages.format(
                "xo.settings.invalid", messages.format("xo.rule.integer", "1", "65535"), "100000"));
        assertEquals("???xo.no.such.key???", messages.get("xo.no.such.key"));
    }

    private static void collect(String text, Pattern key, Set<String> into) {
        Matcher m = key.matcher(text);
        while (m.find()) {
            into.add(m.group(1));
        }
    }
}
