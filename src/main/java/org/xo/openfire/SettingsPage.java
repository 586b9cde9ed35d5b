package org.xo.openfire;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import javax.servlet.http.HttpServletRequest;

import org.jivesoftware.util.JiveGlobals;

/**
 * Everything settings.jsp shows, made by {@link #handle}: the JSP only lays it out (its scriptlet is compiled at Java
 * 8 level by the Openfire 4.2.0 build's JSP compiler, so the logic lives here). Getters follow JavaBean names for
 * the JSP's expression language.
 */
public final class SettingsPage {

    /** One row of the form. */
    public static final class Field {
        private final Setting<?> setting;
        private final String value;
        private final String problem;
        private final List<Choice> choices;

        Field(Setting<?> setting, String value, String problem, List<Choice> choices) {
            this.setting = setting;
            this.value = value;
            this.problem = problem;
            this.choices = choices;
        }

        public String getKey() {
            return setting.key();
        }

        /** The HTML id of its input. */
        public String getId() {
            return setting.key().replace('.', '-');
        }

        public String getValue() {
            return value;
        }

        /** @return what is wrong with the value, or null */
        public String getProblem() {
            return problem;
        }

        public String getDescriptionKey() {
            return setting.descriptionKey();
        }

        public String getUnitKey() {
            return setting.unitKey();
        }

        public String getDefaultText() {
            return SettingsForm.defaultText(setting);
        }

        /** TEXT, NUMBER, FLAG, INTERFACE or READ_ONLY. */
        public String getInput() {
            return setting.input().name();
        }

        /** The options of a FLAG or INTERFACE field; empty for the others. */
        public List<Choice> getChoices() {
            return choices;
        }
    }

    /** One option of a select. */
    public static final class Choice {
        private final String value;
        private final String label;
        private final boolean selected;

        Choice(String value, String label, boolean selected) {
            this.value = value;
            this.label = label;
            this.selected = selected;
        }

        public String getValue() {
            return value;
        }

        public String getLabel() {
            return label;
        }

        public boolean isSelected() {
            return selected;
        }
    }

    private final List<Field> fields;
    private final List<String> changes;
    private final boolean saved;
    private final boolean invalid;
    private final boolean refused;
    private final String csrfToken;

    private SettingsPage(List<Field> fields, List<String> changes, boolean saved, boolean invalid, boolean refused,
                         String csrfToken) {
        this.fields = fields;
        this.changes = changes;
        this.saved = saved;
        this.invalid = invalid;
        this.refused = refused;
        this.csrfToken = csrfToken;
    }

    /**
     * Shows the stored settings (GET), or takes a submission (POST): without the session's token nothing is saved
     * and the entries are shown again; with an invalid field nothing is saved and each bad field says why; else the
     * changed properties are stored (through {@link Setting#store}) and listed.
     */
    public static SettingsPage handle(HttpServletRequest request) {
        Messages messages = Messages.of(JiveGlobals.getLocale());
        Function<String, String> stored = JiveGlobals::getProperty;
        String token = Csrf.token(request.getSession());
        if (!"POST".equals(request.getMethod())) {
            return of(SettingsForm.stored(stored, messages), List.of(), false, false, false, messages, token);
        }
        Map<String, String> submitted = new HashMap<>();
        for (Setting<?> setting : XoSettings.ALL) {
            String value = request.getParameter(setting.key());
            if (value != null) {
                submitted.put(setting.key(), value);
            }
        }
        SettingsForm form = SettingsForm.submitted(submitted, stored, messages);
        if (!Csrf.accepts(request.getSession(false), request.getParameter(Csrf.PARAMETER))) {
            return of(form, List.of(), false, false, true, messages, token);
        }
        if (!form.valid()) {
            return of(form, List.of(), false, true, false, messages, token);
        }
        List<String> changes = new ArrayList<>();
        for (SettingsForm.Change change : form.changes(stored)) {
            Setting.store(change.setting().key(), change.after());
            changes.add(messages.format("xo.settings.change", change.setting().key(),
                    shown(change.setting(), change.before(), messages), shown(change.setting(), change.after(), messages)));
        }
        return of(SettingsForm.stored(stored, messages), changes, true, false, false, messages, token);
    }

    private static String shown(Setting<?> setting, String value, Messages messages) {
        return value.isEmpty() ? messages.format("xo.settings.default", SettingsForm.defaultText(setting)) : value;
    }

    private static SettingsPage of(SettingsForm form, List<String> changes, boolean saved, boolean invalid,
                                   boolean refused, Messages messages, String token) {
        List<Field> fields = new ArrayList<>();
        for (Setting<?> setting : XoSettings.ALL) {
            String value = form.entry(setting);
            fields.add(new Field(setting, value, form.problem(setting), choices(setting, value, messages)));
        }
        return new SettingsPage(List.copyOf(fields), List.copyOf(changes), saved, invalid, refused, token);
    }

    static List<Choice> choices(Setting<?> setting, String value, Messages messages) {
        List<Choice> choices = new ArrayList<>();
        if (setting.input() == Setting.Input.FLAG) {
            for (String flag : new String[] {"true", "false"}) {
                choices.add(new Choice(flag, messages.get("xo.settings.flag." + flag), flag.equalsIgnoreCase(value)));
            }
        } else if (setting.input() == Setting.Input.CHOICE) {
            for (String word : setting.words()) {
                choices.add(new Choice(word, word, word.equalsIgnoreCase(value)));
            }
        } else if (setting.input() == Setting.Input.INTERFACE) {
            choices.add(new Choice("", messages.get("xo.settings.interface.automatic"), value.isEmpty()));
            boolean listed = value.isEmpty();
            for (NetworkInterface nic : upInterfaces()) {
                List<String> addresses = new ArrayList<>();
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    addresses.add(address.getHostAddress().replaceFirst("%.*", ""));
                }
                boolean selected = value.equals(nic.getName()) || addresses.contains(value);
                listed |= selected;
                choices.add(new Choice(selected ? value : nic.getName(), messages.format("xo.settings.interface.choice",
                        nic.getName(), String.join(", ", addresses)), selected));
            }
            if (!listed) {
                // A stored interface that is down or gone stays selectable: saving other fields must not change it.
                choices.add(new Choice(value, messages.format("xo.settings.interface.missing", value), true));
            }
        }
        return List.copyOf(choices);
    }

    /** @return the interfaces that are up, by name */
    private static List<NetworkInterface> upInterfaces() {
        List<NetworkInterface> up = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp()) {
                    up.add(nic);
                }
            }
        } catch (SocketException e) {
            // Listed as none: "automatic" and a stored interface remain selectable.
        }
        up.sort(Comparator.comparing(NetworkInterface::getName));
        return up;
    }

    public List<Field> getFields() {
        return fields;
    }

    /** The properties the submission changed, one line each ("key: before → after"). */
    public List<String> getChanges() {
        return changes;
    }

    /** True after a valid submission, even one that changed nothing. */
    public boolean isSaved() {
        return saved;
    }

    /** True when a submission had an invalid field: nothing was saved. */
    public boolean isInvalid() {
        return invalid;
    }

    /** True when a submission lacked the session's token: nothing was saved. */
    public boolean isRefused() {
        return refused;
    }

    public String getCsrfToken() {
        return csrfToken;
    }

    public String getCsrfParameter() {
        return Csrf.PARAMETER;
    }
}
