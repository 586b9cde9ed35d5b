package org.xo.openfire;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.dom4j.Element;
import org.jivesoftware.util.JiveGlobals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.PacketError;
import org.xo.transport.LogThrottle;

/**
 * XO's settings over XMPP, for the server's administrators only: a headless node has no admin console, so this is
 * how an operator (or a script, or a test) reads and changes them while the node runs. Addressed to the plugin's
 * component, namespace {@value #NAMESPACE}:
 * <pre>
 *   get  &lt;query xmlns='urn:xo:settings:0'/&gt;
 *        → &lt;setting name='xo.multicast.port' value='45045'/&gt; for every setting (the value in effect), and
 *          &lt;problem&gt;why the last change was refused&lt;/problem&gt; while it stands
 *   set  &lt;query xmlns='urn:xo:settings:0'&gt;&lt;setting name='xo.multicast.port' value='45100'/&gt;...&lt;/query&gt;
 *        → an empty result once every value is stored (an empty value means the default)
 * </pre>
 * Stored values become Openfire properties, exactly as the admin console would store them, and apply like any other
 * change of those ({@link SettingsApplier}). A request from anyone but an administrator of this server gets
 * {@code forbidden}; an unknown or read-only setting or an invalid value gets {@code bad-request} with one sentence
 * naming the setting, and nothing of that request is stored. Both are counted and logged.
 */
final class SettingsQuery {
    private static final Logger Log = LoggerFactory.getLogger(SettingsQuery.class);
    static final String NAMESPACE = "urn:xo:settings:0";
    private static final Map<String, Setting<?>> BY_KEY = XoSettings.ALL.stream()
            .collect(Collectors.toMap(Setting::key, Function.identity(), (a, b) -> a, LinkedHashMap::new));

    private final Predicate<JID> isAdmin;
    private final SettingsApplier applier;
    private final BridgeStats stats;
    private final LogThrottle refusalLog = LogThrottle.warn(Log);

    /** @param isAdmin whether a (bare) JID is an administrator of this server */
    SettingsQuery(Predicate<JID> isAdmin, SettingsApplier applier, BridgeStats stats) {
        this.isAdmin = isAdmin;
        this.applier = applier;
        this.stats = stats;
    }

    /** Fills {@code reply}, a result to {@code request}, or turns it into an error. */
    void answer(IQ request, IQ reply) {
        JID from = request.getFrom();
        if (from == null || !isAdmin.test(from.asBareJID())) {
            refuse(request, reply, PacketError.Condition.forbidden, "Only an administrator of this server may read or"
                    + " change XO's settings.", "settings.denied");
            return;
        }
        if (request.getType() == IQ.Type.get) {
            list(reply.setChildElement("query", NAMESPACE));
            return;
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Object child : request.getChildElement().elements("setting")) {
            Element setting = (Element) child;
            String name = setting.attributeValue("name");
            String value = setting.attributeValue("value", "");
            String invalid = check(name, value);
            if (invalid != null) {
                refuse(request, reply, PacketError.Condition.bad_request, invalid, "settings.rejected");
                return;
            }
            values.put(name, value);
        }
        if (values.isEmpty()) {
            refuse(request, reply, PacketError.Condition.bad_request, "Name at least one setting to change, as"
                    + " <setting name='xo.…' value='…'/>.", "settings.rejected");
            return;
        }
        values.forEach(Setting::store);
        Log.info("XO settings stored by {}: {}", from.asBareJID(), values);
    }

    /** @return why the value cannot be stored, one sentence naming the setting; null when it can */
    private static String check(String name, String value) {
        Setting<?> setting = name == null ? null : BY_KEY.get(name);
        if (setting == null) {
            return "There is no XO setting named '" + name + "'; they are " + String.join(", ", BY_KEY.keySet())
                    + ".";
        }
        if (setting == XoSettings.NODE_ID) {
            return "Setting " + name + " is this node's identity and is not changed at run time.";
        }
        if (!value.isBlank()) {
            try {
                setting.parse(value);
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }
        return null;
    }

    private void list(Element query) {
        for (Setting<?> setting : XoSettings.ALL) {
            Element item = query.addElement("setting").addAttribute("name", setting.key());
            try {
                item.addAttribute("value", String.valueOf(setting.get()));
            } catch (IllegalArgumentException stored) {
                // An invalid value stored by other means: shown as it is, with why it does not apply.
                item.addAttribute("value", JiveGlobals.getProperty(setting.key()))
                        .addAttribute("invalid", stored.getMessage());
            }
        }
        String problem = applier.problem();
        if (problem != null) {
            query.addElement("problem").setText(problem);
        }
    }

    private void refuse(IQ request, IQ reply, PacketError.Condition condition, String text, String counter) {
        stats.increment(counter);
        refusalLog.log("XO refused a settings request of " + request.getFrom() + ": " + text, null);
        if (request.getChildElement() != null) {
            reply.setChildElement(request.getChildElement().createCopy());
        }
        reply.setError(new PacketError(condition, condition.getDefaultType(), text));
    }
}
