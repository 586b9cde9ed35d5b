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
     * A node went silent past the node timeout, restarted without a goodbye, or said goodbye while the restart grace
     * is zero: remove all its occupants from every
     * room (the engine has forgotten their presences, so that they pass again when the node's state is replayed).
     * Called on the engine's receive or timer thread; exceptions are caught and counted like those of
     * {@link #onRemoteEvent}.
     */
    default void onNodeLost(long nodeId) {
    }

    /**
     * A node said goodbye: its run ended in order, and it may come back as a new run (a restart) within the
     * {@link EngineConfig#restartGrace()}. Its occupants stay meanwhile (the engine has forgotten their presences, as
     * for a lost node); those a later run announces again (PRESENCE, through {@link #onRemoteEvent} as usual) stay for
     * good, the others leave at {@link #onRestartGraceEnded}. Called instead of {@link #onNodeLost} when the grace is
     * not zero; by default, a listener that does not hold occupants loses the node at once.
     *
     * @param endedEpoch the epoch of the run that ended: announcements of later runs keep an occupant
     */
    default void onNodeSaidGoodbye(long nodeId, int endedEpoch) {
        onNodeLost(nodeId);
    }

    /**
     * The restart grace after a node's goodbye ended: its occupants that no later run announced again leave now. Not
     * called when the node was lost meanwhile (went silent, or restarted without a goodbye): {@link #onNodeLost} took
     * all its occupants out then.
     */
    default void onRestartGraceEnded(long nodeId) {
    }

    /**
     * A lost node is heard again (or its new run after a restart). The engine has already asked every open room for
     * its state: the node's current occupants arrive again through {@link #onRemoteEvent}, each presence once, and
     * messages already delivered do not.
     */
    default void onNodeReturned(long nodeId) {
    }
}
