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
}
