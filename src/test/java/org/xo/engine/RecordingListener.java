package org.xo.engine;

import java.util.concurrent.LinkedBlockingQueue;

import org.xo.core.Envelope;

/**
 * What an engine told its listener, in order: envelopes, and "lost N" / "returned N" / "goodbye N/epoch" /
 * "grace ended N" strings for nodes.
 */
final class RecordingListener implements EngineListener {
    final LinkedBlockingQueue<Object> heard = new LinkedBlockingQueue<>();

    @Override
    public void onRemoteEvent(Envelope e) {
        heard.add(e);
    }

    @Override
    public void onNodeLost(long nodeId) {
        heard.add("lost " + nodeId);
    }

    @Override
    public void onNodeSaidGoodbye(long nodeId, int endedEpoch) {
        heard.add("goodbye " + nodeId + "/" + endedEpoch);
    }

    @Override
    public void onRestartGraceEnded(long nodeId) {
        heard.add("grace ended " + nodeId);
    }

    @Override
    public void onNodeReturned(long nodeId) {
        heard.add("returned " + nodeId);
    }
}
