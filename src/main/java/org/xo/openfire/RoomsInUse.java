package org.xo.openfire;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

import org.dom4j.Element;
import org.dom4j.Namespace;
import org.dom4j.QName;
import org.jivesoftware.openfire.muc.MultiUserChatService;
import org.xmpp.packet.JID;
import org.xmpp.packet.Presence;

/**
 * The occupants a MUC service's rooms already hold when the overlay starts: the plugin uploaded, reloaded or switched
 * on while people chat. The mirror otherwise learns of an occupant only from what it sends.
 * <p>
 * Read by reflection, by method name: {@code MUCRoom} and {@code MUCRole} are interfaces in 4.2 and classes since 4.7
 * (a call compiled against 4.2 would not link), {@code MUCRole} is {@code MUCOccupant} in 5.x, and the service lists
 * its rooms with {@code getChatRooms()} in 4.2 and {@code getActiveChatRooms()} since 4.7. Only getters are called, and
 * no lock of XO's is held meanwhile.
 */
final class RoomsInUse {
    private static final String MUC_PACKAGE = "org.jivesoftware.openfire.muc.";
    private static final Namespace MUC_USER = Namespace.get("http://jabber.org/protocol/muc#user");

    /** One occupant: its real address, room name (local part), nick and current presence as the room keeps it. */
    record Occupant(JID user, String room, String nick, Presence presence) {
    }

    private RoomsInUse() {
    }

    /**
     * @param service     the MUC service whose rooms are overlay rooms
     * @param isLocalUser which occupants this node mirrors (its own users, not the overlay's virtual occupants)
     * @throws ReflectiveOperationException when this Openfire has none of the getters named above
     */
    static List<Occupant> of(MultiUserChatService service, Predicate<JID> isLocalUser)
            throws ReflectiveOperationException {
        ClassLoader openfire = service.getClass().getClassLoader();
        Method rooms = firstMethod(MultiUserChatService.class, "getActiveChatRooms", "getChatRooms");
        Class<?> roomType = Class.forName(MUC_PACKAGE + "MUCRoom", false, openfire);
        Method roomName = roomType.getMethod("getName");
        Method occupants = roomType.getMethod("getOccupants");
        Class<?> occupantType = firstClass(openfire, "MUCOccupant", "MUCRole");
        Method nick = occupantType.getMethod("getNickname");
        Method user = occupantType.getMethod("getUserAddress");
        Method presence = occupantType.getMethod("getPresence");

        List<Occupant> found = new ArrayList<>();
        for (Object room : (Collection<?>) call(rooms, service)) {
            String name = (String) call(roomName, room);
            for (Object occupant : (Collection<?>) call(occupants, room)) {
                JID address = (JID) call(user, occupant);
                Presence current = (Presence) call(presence, occupant);
                if (address != null && current != null && isLocalUser.test(address)) {
                    found.add(new Occupant(address, name, (String) call(nick, occupant), asSent(current)));
                }
            }
        }
        return found;
    }

    /** The room's copy of a presence carries the room's item (affiliation, role, real JID): not what the user sent. */
    private static Presence asSent(Presence inRoom) {
        Presence copy = inRoom.createCopy();
        for (Element x : List.copyOf(copy.getElement().elements(QName.get("x", MUC_USER)))) {
            copy.getElement().remove(x);
        }
        return copy;
    }

    private static Method firstMethod(Class<?> type, String... names) throws NoSuchMethodException {
        for (String name : names) {
            try {
                return type.getMethod(name);
            } catch (NoSuchMethodException next) {
                // an older or newer Openfire: try the next name
            }
        }
        throw new NoSuchMethodException(type.getName() + " has none of " + String.join(", ", names));
    }

    private static Class<?> firstClass(ClassLoader loader, String... simpleNames) throws ClassNotFoundException {
        for (String name : simpleNames) {
            try {
                return Class.forName(MUC_PACKAGE + name, false, loader);
            } catch (ClassNotFoundException next) {
                // an older Openfire: try the next name
            }
        }
        throw new ClassNotFoundException(MUC_PACKAGE + String.join("/", simpleNames));
    }

    private static Object call(Method getter, Object target) throws ReflectiveOperationException {
        try {
            return getter.invoke(target);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure; // Openfire's own error, as a direct call would have thrown it
            }
            throw e;
        }
    }
}
