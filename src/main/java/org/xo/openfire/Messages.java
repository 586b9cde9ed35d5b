package org.xo.openfire;

import java.text.MessageFormat;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * The plugin's strings ({@code i18n/xo_i18n.properties}) for Java code: the admin pages' model, the status servlet,
 * settings errors in the log. JSPs use {@code fmt:message} with the same bundle. Read through this class's own
 * class loader, which is Openfire's plugin class loader and has the plugin's {@code i18n/} folder on its path (4.2.0
 * and 5.x alike); no Openfire API is involved, so the unit tests read the very same file.
 */
public final class Messages {
    static final String BUNDLE = "xo_i18n";

    private final ResourceBundle bundle;

    private Messages(ResourceBundle bundle) {
        this.bundle = bundle;
    }

    /** @throws MissingResourceException when the plugin's bundle is not on the class path */
    public static Messages of(Locale locale) {
        // No fallback to the JVM's default locale: english() must stay English on a server set up in another language.
        return new Messages(ResourceBundle.getBundle(BUNDLE, locale, Messages.class.getClassLoader(),
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES)));
    }

    /** The strings of log lines, which operators and the project read in English whatever the server's locale. */
    static Messages english() {
        return of(Locale.ROOT);
    }

    /** @return the string, or {@code ???key???} (as {@code fmt:message} shows a missing key) */
    public String get(String key) {
        try {
            return bundle.getString(key);
        } catch (MissingResourceException e) {
            return "???" + key + "???";
        }
    }

    /** The string with {@code {0}}, {@code {1}}... filled in; without arguments the string as is, like fmt:message. */
    public String format(String key, Object... args) {
        String pattern = get(key);
        return args.length == 0 ? pattern : new MessageFormat(pattern, bundle.getLocale()).format(args);
    }
}
