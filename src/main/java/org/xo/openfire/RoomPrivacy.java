package org.xo.openfire;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Whether a room's configuration keeps it private: members-only, password-protected or hidden (not listed). Such a
 * room is never mirrored on an open overlay, where anyone in radio range could read and join it.
 * <p>
 * Read by reflection, by method name, like {@link RoomsInUse}: {@code MUCRoom} is an interface in 4.2 and a class
 * since 4.7, so a call compiled against 4.2 would not link on the Openfire people run. The getters are the same in
 * both.
 */
final class RoomPrivacy {
    private RoomPrivacy() {
    }

    /**
     * @param room the Openfire room object
     * @return what keeps the room private (for the Status page and the log), or null for a public room
     * @throws ReflectiveOperationException when this Openfire's room has none of the getters
     */
    static String whyPrivate(Object room) throws ReflectiveOperationException {
        if (isTrue(room, "isMembersOnly")) {
            return "members-only";
        }
        if (isTrue(room, "isPasswordProtected")) {
            return "password-protected";
        }
        if (!isTrue(room, "isPublicRoom")) {
            return "hidden (not listed)";
        }
        return null;
    }

    private static boolean isTrue(Object room, String getter) throws ReflectiveOperationException {
        Method method = room.getClass().getMethod(getter);
        try {
            return Boolean.TRUE.equals(method.invoke(room));
        } catch (InvocationTargetException e) {
            throw new ReflectiveOperationException(getter + " failed: " + e.getCause(), e.getCause());
        }
    }
}
