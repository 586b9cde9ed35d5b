package org.xo.core;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The rooms a receiver has open, by {@link RoomHash}: what a wire version 2 room reference resolves against.
 * A hash that no room has is another room's (not open here); a hash that two open rooms share is ambiguous and
 * resolves to none of them. Immutable.
 */
public final class RoomIndex {
    public static final RoomIndex EMPTY = of(Set.of());

    private final Map<Long, String> unique;
    private final Set<Long> ambiguous;

    private RoomIndex(Map<Long, String> unique, Set<Long> ambiguous) {
        this.unique = unique;
        this.ambiguous = ambiguous;
    }

    /** @param rooms normalized room addresses */
    public static RoomIndex of(Collection<String> rooms) {
        return of(rooms, RoomHash::of);
    }

    /** With another hash function: lets a test give two rooms one hash, which real 48-bit hashes never do at hand. */
    static RoomIndex of(Collection<String> rooms, ToLongFunction<String> hashOf) {
        Map<Long, String> unique = new HashMap<>();
        Set<Long> ambiguous = new HashSet<>();
        for (String room : rooms) {
            long hash = hashOf.applyAsLong(room);
            String other = unique.putIfAbsent(hash, room);
            if (other != null && !other.equals(room)) {
                ambiguous.add(hash);
            }
        }
        unique.keySet().removeAll(ambiguous);
        return new RoomIndex(Map.copyOf(unique), Set.copyOf(ambiguous));
    }

    /** @return the one open room with that hash, or null (none, or ambiguous) */
    public String room(long hash) {
        return unique.get(hash);
    }

    /** @return whether two or more open rooms have that hash */
    public boolean isAmbiguous(long hash) {
        return ambiguous.contains(hash);
    }
}
