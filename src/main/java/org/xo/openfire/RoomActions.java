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
 * What a local room does in its own name, the way it applies a moderator's muc#admin request: gives an occupant a
 * role (the role a remote participant has in its home room travels with it, so a moderator is a moderator on every
 * node and a visitor a visitor, while the participant itself holds no privilege), and kicks or bans one of this node's
 * users when a moderator of another node did (the room there could only take out its stand-in).
 * <p>
 * By reflection, by method name, like {@link RoomsInUse}: {@code MUCRoom} is an interface in 4.2 and a class since
 * 4.7, where the actor is passed as the room's own {@code MUCRole} up to 4.9 and as an affiliation (and role) since
 * 5.0; since 4.7 the room is changed under its lock and synchronised afterwards, as Openfire's own handlers do. The
 * parameters are filled by type, in order: addresses, texts, the actor's affiliation (owner) and role (moderator).
 */
final class RoomActions {
    private static final String REASON = "the role the participant has in its home room";

    private RoomActions() {
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
        return act(service, roomName, method, List.of(occupant), List.of(REASON), true);
    }

    /** Destroys the room, its occupants told why (as when its owner destroys it without an alternative room). */
    static boolean destroy(MultiUserChatService service, String roomName, String reason)
            throws ReflectiveOperationException {
        // No sync after it: that would store the room again in Openfire's cache (4.7+).
        return act(service, roomName, "destroyRoom", java.util.Collections.singletonList(null),
                java.util.Collections.singletonList(reason), false);
    }

    /**
     * Makes a user (its bare JID) a member, as the room's owner would: the member of a members-only room at home is one
     * here. No nick is reserved for it.
     */
    static boolean addMember(MultiUserChatService service, String roomName, JID user)
            throws ReflectiveOperationException {
        return act(service, roomName, "addMember", List.of(user.asBareJID()), List.of(), true);
    }

    /**
     * Gives the room the configuration its owner gave it on another node, as the owner's form would, and stores it if
     * the room is persistent. Occupants who are no members leave a room that becomes members-only.
     *
     * @param configuration with privacy null, the room's privacy stays as it is
     */
    static boolean configure(MultiUserChatService service, String roomName, RoomConfiguration configuration)
            throws ReflectiveOperationException {
        return withRoom(service, roomName, true, room -> {
            Class<?> type = room.getClass();
            invoke(type.getMethod("setModerated", boolean.class), room, configuration.moderated());
            invoke(type.getMethod("setMaxUsers", int.class), room, configuration.maxUsers());
            RoomConfiguration.Privacy privacy = configuration.privacy();
            if (privacy != null) {
                invoke(type.getMethod("setPassword", String.class), room, privacy.password());
                invoke(type.getMethod("setPublicRoom", boolean.class), room, privacy.publicRoom());
                Object self = selfRepresentation(room);
                for (Presence presence : presences(setMembersOnly(room, privacy.membersOnly(), self))) {
                    send(room, presence, self);
                }
            }
            if (Boolean.TRUE.equals(invoke(type.getMethod("isPersistent"), room))) {
                invoke(type.getMethod("saveToDB"), room);
            }
        });
    }

    /** setMembersOnly(boolean) up to 4.9, (boolean, actor's affiliation, actor's address) since 5.0. */
    private static Object setMembersOnly(Object room, boolean membersOnly, Object self)
            throws ReflectiveOperationException {
        for (Method m : room.getClass().getMethods()) {
            if (m.getName().equals("setMembersOnly") && m.getParameterCount() > 0
                    && m.getParameterTypes()[0] == boolean.class) {
                Class<?>[] types = m.getParameterTypes();
                Object[] args = new Object[types.length];
                args[0] = membersOnly;
                for (int i = 1; i < types.length; i++) {
                    args[i] = types[i] == JID.class ? null : argument(types[i], self);
                }
                return invoke(m, room, args);
            }
        }
        throw new NoSuchMethodException(room.getClass().getName() + ".setMembersOnly");
    }

    /** Kicks an occupant (its full JID), for the actor (an occupant's address and nick). */
    static boolean kick(MultiUserChatService service, String roomName, JID occupant, JID actor, String actorNick,
                        String reason) throws ReflectiveOperationException {
        return act(service, roomName, "kickOccupant", java.util.Arrays.asList(occupant, actor),
                java.util.Arrays.asList(actorNick, reason), true);
    }

    /** Bans a user (its bare JID), which takes it out of the room, for the actor. */
    static boolean ban(MultiUserChatService service, String roomName, JID user, JID actor, String reason)
            throws ReflectiveOperationException {
        return act(service, roomName, "addOutcast", java.util.Arrays.asList(user.asBareJID(), actor),
                java.util.Arrays.asList(reason), true);
    }

    private static boolean act(MultiUserChatService service, String roomName, String method, List<JID> addresses,
                               List<String> texts, boolean sync) throws ReflectiveOperationException {
        return withRoom(service, roomName, sync, room -> {
            Object self = selfRepresentation(room);
            for (Presence presence : presences(call(room, method, addresses, texts, self))) {
                send(room, presence, self);
            }
        });
    }

    private interface RoomChange {
        void apply(Object room) throws ReflectiveOperationException;
    }

    /** Changes the room under its lock (4.7+) and synchronises it afterwards if asked. */
    private static boolean withRoom(MultiUserChatService service, String roomName, boolean sync, RoomChange change)
            throws ReflectiveOperationException {
        Lock lock = (Lock) callIfPresent(service, "getChatRoomLock", new Class<?>[] {String.class}, roomName);
        if (lock != null) {
            lock.lock();
        }
        try {
            Object room = service.getChatRoom(roomName);
            if (room == null) {
                return false;
            }
            change.apply(room);
            Method syncRoom = sync ? findMethod(service.getClass(), "syncChatRoom", 1) : null;
            if (syncRoom != null) {
                invoke(syncRoom, service, room);
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

    /** Calls the room's method of that name with the fewest parameters, filled by type (see the class comment). */
    private static Object call(Object room, String name, List<JID> addresses, List<String> texts, Object self)
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
        int address = 0;
        int text = 0;
        for (int i = 0; i < types.length; i++) {
            if (types[i] == JID.class) {
                args[i] = address < addresses.size() ? addresses.get(address++) : null;
            } else if (types[i] == String.class) {
                args[i] = text < texts.size() ? texts.get(text++) : null;
            } else {
                args[i] = argument(types[i], self);
            }
        }
        return invoke(method, room, args);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object argument(Class<?> type, Object self) {
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
