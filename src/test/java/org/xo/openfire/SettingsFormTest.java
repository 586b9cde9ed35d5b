package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.xo.security.OverlayKeys;

/** The Settings page's validation and change detection, with the plugin's real string bundle. */
public class SettingsFormTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();
    private final Messages messages = Messages.of(Locale.ENGLISH);
    /** The properties as Openfire would hold them. */
    private final Map<String, String> stored = new HashMap<>();
    private final Function<String, String> store = stored::get;

    private SettingsForm submit(String... keysAndValues) {
        Map<String, String> submitted = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            submitted.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return SettingsForm.submitted(submitted, store, messages);
    }

    @Test
    public void eachInvalidFieldSaysWhatAValidValueIs() {
        SettingsForm form = submit(
                "xo.multicast.port", "http",
                "xo.multicast.ttl", "0",
                "xo.pacing.gamma", "0.5",
                "xo.enabled", "yes",
                "xo.muc.service", "Group Chat",
                "xo.overlay.service", "no room@here",
                "xo.multicast.interface", "no-such-nic0",
                "xo.multicast.group-base", "239.192.0.1",
                "xo.discovery.control-group", "10.0.0.1");

        assertFalse(form.valid());
        assertEquals("Must be a whole number from 1 to 65535, not \u201chttp\u201d.", form.problem(XoSettings.PORT));
        assertEquals("Must be a whole number from 1 to 255, not \u201c0\u201d.", form.problem(XoSettings.TTL));
        assertEquals("Must be a number from 1.0 to 100.0, not \u201c0.5\u201d.", form.problem(XoSettings.PACING_GAMMA));
        assertEquals("Must be true or false, not \u201cyes\u201d.", form.problem(XoSettings.ENABLED));
        assertEquals("Must be a subdomain of this server such as conference (lower-case letters, digits, hyphens and"
                + " dots), not \u201cGroup Chat\u201d.", form.problem(XoSettings.MUC_SERVICE));
        assertEquals("Must be a domain name such as conference.xo, not \u201cno room@here\u201d.",
                form.problem(XoSettings.OVERLAY_SERVICE));
        assertEquals("Must be the name or an address of a network interface of this machine, not"
                + " \u201cno-such-nic0\u201d.", form.problem(XoSettings.INTERFACE));
        assertEquals("Must be an IPv4 multicast address whose low 18 bits are zero, such as 239.192.0.0, not"
                + " \u201c239.192.0.1\u201d.", form.problem(XoSettings.GROUP_BASE));
        assertEquals("Must be an IPv4 multicast address (224.0.0.0 to 239.255.255.255), not \u201c10.0.0.1\u201d.",
                form.problem(XoSettings.CONTROL_GROUP));
        assertNull("untouched fields keep their valid defaults", form.problem(XoSettings.NODE_TIMEOUT_MS));
        assertTrue("an invalid form changes nothing", form.changes(store).isEmpty());
    }

    @Test
    public void aNodeTimeoutShorterThanTwoBeaconsIsRefusedOnItsField() {
        SettingsForm form = submit("xo.discovery.beacon-interval-ms", "20000", "xo.discovery.node-timeout-ms", "35000");

        assertEquals("Must be at least two beacon intervals (40000 ms).", form.problem(XoSettings.NODE_TIMEOUT_MS));
        assertNull(form.problem(XoSettings.BEACON_INTERVAL_MS));
    }

    @Test
    public void validValuesAreAcceptedAsTheEngineWillTakeThem() {
        SettingsForm form = submit("xo.multicast.interface", "lo", "xo.multicast.group-base", "239.196.0.0",
                "xo.discovery.control-group", "239.192.255.251", "xo.enabled", "false", "xo.pacing.gamma", "1.5",
                "xo.muc.service", "chat.ops", "xo.node.name", "Alpha Base");

        assertTrue(String.valueOf(XoSettings.ALL.stream().map(form::problem).toList()), form.valid());
    }

    @Test
    public void onlyValuesThatChangeWhatIsInForceAreStored() {
        stored.put("xo.multicast.port", "45100");
        stored.put("xo.pacing.rtt-ms", "5");

        List<SettingsForm.Change> changes = submit(
                "xo.multicast.port", " 45100 ",           // as stored
                "xo.multicast.ttl", "8",                  // the default, unset
                "xo.pacing.rtt-ms", "",                   // blank: back to the default
                "xo.history.replay", "10",                // a real change
                "xo.node.id", "0123456789abcdef").changes(store);

        assertEquals(List.of("xo.pacing.rtt-ms: '5' -> ''", "xo.history.replay: '' -> '10'"),
                changes.stream().map(c -> c.setting().key() + ": '" + c.before() + "' -> '" + c.after() + "'").toList());
    }

    @Test
    public void theNodeIdIsNeverTakenFromASubmission() {
        stored.put("xo.node.id", "1234");

        SettingsForm form = submit("xo.node.id", "ffff");

        assertEquals("1234", form.entry(XoSettings.NODE_ID));
        assertTrue(form.changes(store).isEmpty());
    }

    @Test
    public void aStoredInvalidValueIsShownWithItsProblemAndAnyValidEntryReplacesIt() {
        stored.put("xo.multicast.port", "fortyfive");

        SettingsForm shown = SettingsForm.stored(store, messages);
        assertEquals("fortyfive", shown.entry(XoSettings.PORT));
        assertEquals("Must be a whole number from 1 to 65535, not \u201cfortyfive\u201d.", shown.problem(XoSettings.PORT));
        assertEquals("an unset property shows its default", "45045",
                SettingsForm.stored(key -> null, messages).entry(XoSettings.PORT));

        List<SettingsForm.Change> changes = submit("xo.multicast.port", "45045").changes(store);
        assertEquals(1, changes.size());
        assertEquals("45045", changes.get(0).after());
    }

    @Test
    public void aBadStoredValueStopsTheOverlayWithOneSentenceNamingTheProperty() {
        try {
            XoSettings.PORT.parse("fortyfive");
            fail("parsed an invalid port");
        } catch (IllegalArgumentException e) {
            assertEquals("Property xo.multicast.port must be a whole number from 1 to 65535, not \u201cfortyfive\u201d.",
                    e.getMessage());
        }
    }

    @Test
    public void theKeyFileMustBeAReadableKeyFileOrEmpty() throws Exception {
        Path key = folder.getRoot().toPath().resolve("overlay.key");
        OverlayKeys.generate(key);
        Path garbage = Files.writeString(folder.getRoot().toPath().resolve("garbage"), "not a key\n");
        Path missing = folder.getRoot().toPath().resolve("missing");
        String rule = "Must be the path of a readable XO key file (bin/xo-node --generate-key FILE), or empty for"
                + " an open overlay, not \u201c";
        assertEquals(rule + missing + "\u201d.",
                submit("xo.security.key-file", missing.toString()).problem(XoSettings.KEY_FILE));
        assertEquals(rule + garbage + "\u201d.",
                submit("xo.security.key-file", garbage.toString()).problem(XoSettings.KEY_FILE));
        assertNull(submit("xo.security.key-file", key.toString()).problem(XoSettings.KEY_FILE));
        assertNull("empty: an open overlay", submit("xo.security.key-file", "").problem(XoSettings.KEY_FILE));
    }

    @Test
    public void everySettingHasADescriptionAndItsUnitInTheBundle() {
        for (Setting<?> setting : XoSettings.ALL) {
            assertFalse(setting.key(), messages.get(setting.descriptionKey()).startsWith("???"));
            if (setting.unitKey() != null) {
                assertFalse(setting.key(), messages.get(setting.unitKey()).startsWith("???"));
            }
        }
        assertEquals(33, XoSettings.ALL.size());
    }
}
