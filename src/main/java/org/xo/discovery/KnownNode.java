package org.xo.discovery;

import java.time.Duration;
import java.util.Set;

/**
 * A live node in the {@link Directory}.
 *
 * @param info       its latest announcement (for a node heard again only through room traffic after it was lost,
 *                   the one before the loss, until its next beacon)
 * @param sources    where it is currently known from
 * @param sinceHeard time since anything was heard from it
 */
public record KnownNode(NodeInfo info, Set<Source> sources, Duration sinceHeard) {
    public KnownNode {
        sources = Set.copyOf(sources);
    }
}
