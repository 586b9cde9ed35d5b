package org.xo.openfire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The Settings page's form, without the servlet around it: what each field holds, what is wrong with it, and which
 * properties a submission changes. A blank entry stands for the setting's default, as {@link Setting#get()} reads a
 * blank property. Nothing is stored unless every field is valid.
 */
final class SettingsForm {

    /** A property whose value in force a submission changes; {@code after} is what gets stored. */
    record Change(Setting<?> setting, String before, String after) {
    }

    private final Map<Setting<?>, String> entries;
    private final Map<Setting<?>, String> problems;

    private SettingsForm(Map<Setting<?>, String> entries, Map<Setting<?>, String> problems) {
        this.entries = entries;
        this.problems = problems;
    }

    /**
     * The form as stored: each property as set, or its default when unset; a stored value that is invalid (set
     * elsewhere, e.g. on Openfire's System Properties page) is shown with its problem.
     *
     * @param stored the raw property by key (null when unset)
     */
    static SettingsForm stored(Function<String, String> stored, Messages messages) {
        Map<Setting<?>, String> entries = new LinkedHashMap<>();
        for (Setting<?> setting : XoSettings.ALL) {
            String raw = stored.apply(setting.key());
            entries.put(setting, raw == null || raw.isBlank() ? defaultText(setting) : raw.trim());
        }
        return new SettingsForm(entries, check(entries, messages));
    }

    /**
     * The form as submitted: an editable setting missing from the submission keeps its stored value; the node id is
     * never taken from a submission.
     */
    static SettingsForm submitted(Map<String, String> submitted, Function<String, String> stored, Messages messages) {
        Map<Setting<?>, String> entries = new LinkedHashMap<>();
        for (Setting<?> setting : XoSettings.ALL) {
            String entry = setting.input() == Setting.Input.READ_ONLY ? null : submitted.get(setting.key());
            if (entry == null) {
                String raw = stored.apply(setting.key());
                entry = raw == null ? defaultText(setting) : raw;
            }
            entries.put(setting, entry.trim());
        }
        return new SettingsForm(entries, check(entries, messages));
    }

    private static Map<Setting<?>, String> check(Map<Setting<?>, String> entries, Messages messages) {
        Map<Setting<?>, String> problems = new LinkedHashMap<>();
        entries.forEach((setting, entry) -> {
            String problem = setting.problem(entry, messages);
            if (problem != null) {
                problems.put(setting, problem);
            }
        });
        // The engine refuses a timeout that two lost beacons in a row would already exceed.
        if (!problems.containsKey(XoSettings.BEACON_INTERVAL_MS) && !problems.containsKey(XoSettings.NODE_TIMEOUT_MS)) {
            int interval = XoSettings.BEACON_INTERVAL_MS.valueOf(entries.get(XoSettings.BEACON_INTERVAL_MS));
            int timeout = XoSettings.NODE_TIMEOUT_MS.valueOf(entries.get(XoSettings.NODE_TIMEOUT_MS));
            if ((long) timeout < 2L * interval) {
                problems.put(XoSettings.NODE_TIMEOUT_MS,
                        messages.format("xo.settings.node-timeout-too-short", Long.toString(2L * interval)));
            }
        }
        return problems;
    }

    /** The text of a setting's default, as the form shows it ("" for the settings whose default is empty). */
    static String defaultText(Setting<?> setting) {
        return String.valueOf(setting.defaultValue());
    }

    String entry(Setting<?> setting) {
        return entries.get(setting);
    }

    /** @return what is wrong with the field, in one sentence, or null */
    String problem(Setting<?> setting) {
        return problems.get(setting);
    }

    boolean valid() {
        return problems.isEmpty();
    }

    /** @return the editable properties whose value in force the form changes, in display order (none if invalid) */
    List<Change> changes(Function<String, String> stored) {
        List<Change> changes = new ArrayList<>();
        if (!valid()) {
            return changes;
        }
        for (Map.Entry<Setting<?>, String> field : entries.entrySet()) {
            Setting<?> setting = field.getKey();
            if (setting.input() == Setting.Input.READ_ONLY) {
                continue;
            }
            String raw = stored.apply(setting.key());
            if (!Objects.equals(inForce(setting, raw), setting.valueOf(field.getValue()))) {
                changes.add(new Change(setting, raw == null ? "" : raw.trim(), field.getValue()));
            }
        }
        return changes;
    }

    /** The value a stored property stands for; an invalid one stands for itself (any valid entry changes it). */
    private static Object inForce(Setting<?> setting, String raw) {
        try {
            return setting.valueOf(raw);
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }
}
