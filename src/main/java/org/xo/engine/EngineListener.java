package org.xo.engine;

import org.xo.core.Envelope;

/** Receives the room events other nodes published; implemented by the Openfire adapter's injector. */
@FunctionalInterface
public interface EngineListener {
    /**
     * Called on the transport's receive thread for each envelope of a room event kind (code below 0x40) that decoded
     * cleanly, comes from another node, is for a room open on this node, and was not delivered before. Must not block
     * for long: it holds up reception. Exceptions are caught, counted ({@code listener.errors}) and logged.
     */
    void onRemoteEvent(Envelope e);

    /**
     * As {@link #onRemoteEvent(Envelope)}, telling whether the event is late: repair brought it into a gap (a loss,
     * the other side of a healed partition), so clients should see it dated with its origin time (XEP-0203). The
     * engine calls this one; by default it delegates.
     */
    default void onRemoteEvent(Envelope e, boolean late) {
        onRemoteEvent(e);
    }

    /**
     * A node went silent past the node timeout, said goodbye, or restarted: remove all its occupants from every
     * room (the engine has forgotten their presences, so that they pass again when the node's state is replayed).
     * Called on the engine's receive or timer thread; exceptions are caught and counted like those of
     * {@link #onRemoteEvent}.
     */
    default void onNodeLost(long nodeId) {
    }

    /**
     * A lost node is heard again (or its new run after a restart). The engine has already asked every open room for
     * its state: the node's current occupants arrive again through {@link #onRemoteEvent}, each presence once, and
     * messages already delivered do not.
     */
    default void onNodeReturned(long nodeId) {
    }
}
