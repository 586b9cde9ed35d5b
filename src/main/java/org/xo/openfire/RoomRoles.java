package org.xo.openfire;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.Lock;

import org.jivesoftware.openfire.muc.MultiUserChatService;
import org.xmpp.packet.JID;
import org.xmpp.packet.Packet;
import org.xmpp.packet.Presence;

/**
 * Gives an occupant of a local room a role (moderator, participant, visitor) in the room's own name, the way the room
 * applies a moderator's muc#admin request: the role a remote participant has in its home room travels with it, so a
 * moderator is a moderator on every node and a visitor a visitor, while the participant itself holds no privilege.
 * <p>
 * By reflection, by method name, like {@link RoomsInUse}: {@code MUCRoom} is an interface in 4.2 and a class since
 * 4.7, where the actor is passed as the room's own {@code MUCRole} up to 4.9 and as an affiliation (and role) since
 * 5.0; since 4.7 the room is changed under its lock and synchronised afterwards, as Openfire's own handlers do.
 */
final class RoomRoles {
    private static final String REASON = "the role the participant has in its home room";

    private RoomRoles() {
    }

    /**
     * @return whether the room exists and took the change
     * @throws ReflectiveOperationException when this Openfire has no such method, or the room refused (the cause says
     *                                      why, e.g. an owner cannot be made a visitor)
     */
    static boolean grant(MultiUserChatService service, String roomName, JID occupant, String role)
            throws ReflectiveOperationException {
        String method = switch (role) {
            case "moderator" -> "addModerator";
            case "participant" -> "addParticipant";
            case "visitor" -> "addVisitor";
            default -> throw new IllegalArgumentException("Not a role that travels: " + role);
        };
        Lock lock = (Lock) callIfPresent(service, "getChatRoomLock", new Class<?>[] {String.class}, roomName);
        if (lock != null) {
            lock.lock();
        }
        try {
            Object room = service.getChatRoom(roomName);
            if (room == null) {
                return false;
            }
            Object self = selfRepresentation(room);
            for (Presence presence : presences(call(room, method, occupant, self))) {
                send(room, presence, self);
            }
            Method sync = findMethod(service.getClass(), "syncChatRoom", 1);
            if (sync != null) {
                invoke(sync, service, room);
            }
            return true;
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
    }

    /** The room acting as itself: its own role up to 4.9, its self-representation since 4.9.2 (an owner). */
    private static Object selfRepresentation(Object room) throws ReflectiveOperationException {
        Method self = findMethod(room.getClass(), "getSelfRepresentation", 0);
        return invoke(self != null ? self : room.getClass().getMethod("getRole"), room);
    }

    /** Calls the role method, filling its parameters by type: the occupant, a reason, and the actor (the room). */
    private static Object call(Object room, String name, JID occupant, Object self)
            throws ReflectiveOperationException {
        Method method = null;
        for (Method m : room.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() > 0 && m.getParameterTypes()[0] == JID.class
                    && (method == null || m.getParameterCount() < method.getParameterCount())) {
                method = m;
            }
        }
        if (method == null) {
            throw new NoSuchMethodException(room.getClass().getName() + "." + name);
        }
        Class<?>[] types = method.getParameterTypes();
        Object[] args = new Object[types.length];
        args[0] = occupant;
        for (int i = 1; i < types.length; i++) {
            args[i] = argument(types[i], self);
        }
        return invoke(method, room, args);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object argument(Class<?> type, Object self) {
        if (type == String.class) {
            return REASON;
        }
        if (type.isEnum() && type.getSimpleName().equals("Affiliation")) {
            return Enum.valueOf((Class<Enum>) type, "owner");
        }
        if (type.isEnum() && type.getSimpleName().equals("Role")) {
            return Enum.valueOf((Class<Enum>) type, "moderator");
        }
        if (type.isInstance(self)) {
            return self;
        }
        throw new IllegalArgumentException("No argument for a parameter of type " + type.getName());
    }

    private static List<Presence> presences(Object result) {
        List<Presence> out = new ArrayList<>();
        if (result instanceof Presence presence) {
            out.add(presence);
        } else if (result instanceof Collection<?> many) {
            many.stream().filter(Presence.class::isInstance).map(Presence.class::cast).forEach(out::add);
        }
        return out;
    }

    /** Broadcasts the occupant's new presence to the room, from the room: send(Packet) in 4.2, with the actor since. */
    private static void send(Object room, Presence presence, Object self) throws ReflectiveOperationException {
        for (Method m : room.getClass().getMethods()) {
            if (m.getName().equals("send") && m.getParameterCount() == 2 && m.getParameterTypes()[0] == Packet.class
                    && m.getParameterTypes()[1].isInstance(self)) {
                invoke(m, room, presence, self);
                return;
            }
        }
        invoke(room.getClass().getMethod("send", Packet.class), room, presence);
    }

    private static Object callIfPresent(Object target, String name, Class<?>[] types, Object... args)
            throws ReflectiveOperationException {
        Method m;
        try {
            m = target.getClass().getMethod(name, types);
        } catch (NoSuchMethodException olderOpenfire) {
            return null;
        }
        return invoke(m, target, args);
    }

    private static Method findMethod(Class<?> type, String name, int parameters) {
        for (Method m : type.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == parameters) {
                return m;
            }
        }
        return null;
    }

    private static Object invoke(Method method, Object target, Object... args) throws ReflectiveOperationException {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new ReflectiveOperationException(method.getName() + " refused: " + cause, cause);
        }
    }
}
