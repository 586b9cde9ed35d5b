package org.xo.openfire;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;

import org.dom4j.DocumentHelper;
import org.dom4j.Element;

/**
 * The part of a room's configuration that travels between nodes ({@code Kind.CONFIG}): whether it is moderated and
 * how many occupants it holds; on keyed overlays also its privacy (members-only, password, listed). On an open
 * overlay privacy neither travels nor is taken from a datagram: a private room is not carried there at all, and a
 * forged datagram must not make a public room private.
 * <p>
 * Read from Openfire's room by reflection, by method name, like {@link RoomsInUse}: {@code MUCRoom} is an interface in
 * 4.2 and a class since 4.7, so a call compiled against 4.2 would not link on the Openfire people run. The getters are
 * the same in both. It travels as the muc#owner form an owner would submit (XEP-0045 10.2).
 *
 * @param moderated whether only occupants with voice may speak
 * @param maxUsers  how many occupants the room holds (0: no limit)
 * @param privacy   members-only, password and listing, or null where they do not travel
 */
record RoomConfiguration(boolean moderated, int maxUsers, Privacy privacy) {
    static final String FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig";
    private static final String DATA_NS = "jabber:x:data";
    private static final String MODERATED = "muc#roomconfig_moderatedroom";
    private static final String MAX_USERS = "muc#roomconfig_maxusers";
    private static final String MEMBERS_ONLY = "muc#roomconfig_membersonly";
    private static final String PASSWORD_PROTECTED = "muc#roomconfig_passwordprotectedroom";
    private static final String PASSWORD = "muc#roomconfig_roomsecret";
    private static final String PUBLIC = "muc#roomconfig_publicroom";
    /** Passwords longer than this are no room password a person types: the form is refused. */
    static final int MAX_PASSWORD_CHARS = 256;

    /** @param password the room's password, or null when it has none */
    record Privacy(boolean membersOnly, String password, boolean publicRoom) {
        /** @return what keeps the room private (for the Status page and the log), or null for a public room */
        String why() {
            if (membersOnly) {
                return "members-only";
            }
            if (password != null) {
                return "password-protected";
            }
            return publicRoom ? null : "hidden (not listed)";
        }

        @Override
        public String toString() {
            return "Privacy[membersOnly=" + membersOnly + ", password=" + (password == null ? "none" : "set")
                    + ", publicRoom=" + publicRoom + "]";
        }
    }

    /**
     * @param room the Openfire room object
     * @throws ReflectiveOperationException when this Openfire's room lacks one of the getters, or one failed
     */
    static RoomConfiguration of(Object room) throws ReflectiveOperationException {
        String password = (Boolean) get(room, "isPasswordProtected") ? (String) get(room, "getPassword") : null;
        return new RoomConfiguration((Boolean) get(room, "isModerated"), (Integer) get(room, "getMaxUsers"),
                new Privacy((Boolean) get(room, "isMembersOnly"), password, (Boolean) get(room, "isPublicRoom")));
    }

    /** @return this configuration as it travels on an open overlay: without its privacy */
    RoomConfiguration withoutPrivacy() {
        return privacy == null ? this : new RoomConfiguration(moderated, maxUsers, null);
    }

    /** @return the muc#owner form (an IQ set, without addresses) that carries this configuration to the other nodes */
    String toForm() {
        Element iq = DocumentHelper.createElement("iq");
        iq.addAttribute("type", "set");
        Element form = iq.addElement("query", Stanzas.MUC_OWNER_NS).addElement("x", DATA_NS);
        form.addAttribute("type", "submit");
        field(form, "FORM_TYPE", FORM_TYPE);
        field(form, MODERATED, bool(moderated));
        field(form, MAX_USERS, Integer.toString(maxUsers));
        if (privacy != null) {
            field(form, MEMBERS_ONLY, bool(privacy.membersOnly()));
            field(form, PASSWORD_PROTECTED, bool(privacy.password() != null));
            if (privacy.password() != null) {
                field(form, PASSWORD, privacy.password());
            }
            field(form, PUBLIC, bool(privacy.publicRoom()));
        }
        return iq.asXML();
    }

    /**
     * @param iq a CONFIG envelope's stanza
     * @return the configuration it carries (privacy null when it carries none or only part of it), or null when it is
     * no such form or a value is out of range
     */
    static RoomConfiguration fromForm(Element iq) {
        Element query = iq.element(org.dom4j.QName.get("query", Stanzas.MUC_OWNER_NS));
        Element form = query == null ? null : query.element(org.dom4j.QName.get("x", DATA_NS));
        if (form == null || !"submit".equals(form.attributeValue("type"))) {
            return null;
        }
        Map<String, String> values = new HashMap<>();
        for (Element field : form.elements()) {
            String var = field.attributeValue("var");
            Element value = field.element(org.dom4j.QName.get("value", DATA_NS));
            if (var != null && value != null && values.putIfAbsent(var, value.getText()) != null) {
                return null; // a field twice: which one would count is anybody's guess
            }
        }
        Boolean moderated = parseBool(values.get(MODERATED));
        Integer maxUsers = parseCount(values.get(MAX_USERS));
        if (!FORM_TYPE.equals(values.get("FORM_TYPE")) || moderated == null || maxUsers == null) {
            return null;
        }
        Boolean membersOnly = parseBool(values.get(MEMBERS_ONLY));
        Boolean passwordProtected = parseBool(values.get(PASSWORD_PROTECTED));
        Boolean publicRoom = parseBool(values.get(PUBLIC));
        String password = values.get(PASSWORD);
        if (membersOnly == null || passwordProtected == null || publicRoom == null) {
            return new RoomConfiguration(moderated, maxUsers, null);
        }
        if (passwordProtected && (password == null || password.isBlank() || password.length() > MAX_PASSWORD_CHARS)) {
            return null;
        }
        return new RoomConfiguration(moderated, maxUsers,
                new Privacy(membersOnly, passwordProtected ? password : null, publicRoom));
    }

    private static void field(Element form, String var, String value) {
        form.addElement("field", DATA_NS).addAttribute("var", var).addElement("value", DATA_NS).setText(value);
    }

    private static String bool(boolean value) {
        return value ? "1" : "0"; // Openfire 4.2 reads only 1 and 0
    }

    private static Boolean parseBool(String value) {
        if (value == null) {
            return null;
        }
        return switch (value.trim()) {
            case "1", "true" -> Boolean.TRUE;
            case "0", "false" -> Boolean.FALSE;
            default -> null;
        };
    }

    private static Integer parseCount(String value) {
        try {
            int n = Integer.parseInt(value == null ? "" : value.trim());
            return n >= 0 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Object get(Object room, String getter) throws ReflectiveOperationException {
        Method method = room.getClass().getMethod(getter);
        try {
            return method.invoke(room);
        } catch (InvocationTargetException e) {
            throw new ReflectiveOperationException(getter + " failed: " + e.getCause(), e.getCause());
        }
    }
}
