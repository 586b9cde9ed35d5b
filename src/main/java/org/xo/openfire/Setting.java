package org.xo.openfire;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

import org.jivesoftware.util.JiveGlobals;

/**
 * One typed plugin property: key, default and validation. Openfire 4.2 has
 * no {@code SystemProperty}, so this is the small typed wrapper in the same spirit.
 *
 * @param <T> the value type
 */
public final class Setting<T> {
    private final String key;
    private final T defaultValue;
    private final Function<String, T> parser;
    private final Predicate<T> valid;
    private final String rule;

    private Setting(String key, T defaultValue, Function<String, T> parser, Predicate<T> valid, String rule) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.parser = parser;
        this.valid = valid;
        this.rule = rule;
    }

    static Setting<String> text(String key, String defaultValue) {
        return new Setting<>(key, defaultValue, String::trim, v -> true, "text");
    }

    static Setting<Boolean> flag(String key, boolean defaultValue) {
        return new Setting<>(key, defaultValue, Setting::parseFlag, v -> true, "true or false");
    }

    static Setting<Integer> integer(String key, int defaultValue, int min, int max) {
        return new Setting<>(key, defaultValue, s -> Integer.valueOf(s.trim()), v -> v >= min && v <= max,
                "a whole number from " + min + " to " + max);
    }

    /** A word from a fixed list, compared without regard to case. */
    static Setting<String> choice(String key, String defaultValue, String... allowed) {
        List<String> words = List.of(allowed);
        return new Setting<>(key, defaultValue, s -> s.trim().toLowerCase(Locale.ROOT), words::contains,
                "one of " + String.join(", ", words));
    }

    static Setting<Double> decimal(String key, double defaultValue, double min, double max) {
        return new Setting<>(key, defaultValue, s -> Double.valueOf(s.trim()), v -> v >= min && v <= max,
                "a number from " + min + " to " + max);
    }

    private static Boolean parseFlag(String s) {
        String v = s.trim().toLowerCase();
        if (v.equals("true") || v.equals("false")) {
            return Boolean.valueOf(v);
        }
        throw new IllegalArgumentException(s);
    }

    public String key() {
        return key;
    }

    /**
     * @return the configured value, or the default when unset
     * @throws IllegalArgumentException with one sentence naming the property when the stored value is invalid
     */
    public T get() {
        String raw = JiveGlobals.getProperty(key);
        return raw == null || raw.isBlank() ? defaultValue : parse(raw);
    }

    /** @throws IllegalArgumentException with one sentence naming the property when the value is invalid */
    public T parse(String raw) {
        T value;
        try {
            value = parser.apply(raw);
        } catch (RuntimeException e) {
            value = null;
        }
        if (value == null || !valid.test(value)) {
            throw new IllegalArgumentException("Property " + key + " must be " + rule + ", not '" + raw + "'.");
        }
        return value;
    }

    /**
     * {@code JiveGlobals.setProperty(String,String)} returns void up to 5.1 and String in HEAD: a direct call compiled
     * against 4.2.0 would not link there, so it is looked up by name and parameters, whatever its return type.
     */
    static void store(String key, String value) {
        try {
            Method setter = JiveGlobals.class.getMethod("setProperty", String.class, String.class);
            setter.invoke(null, key, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot store property " + key + ": " + e, e);
        }
    }
}
