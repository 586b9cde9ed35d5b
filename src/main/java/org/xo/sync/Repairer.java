package org.xo.sync;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import org.xo.core.StreamId;
import org.xo.sync.RepairMessages.Range;

/**
 * The bookkeeping of repair (see the package comment for the protocol): per stream, the seqs known to exist and not
 * held here (gaps, from the seqs heard and from digests) with when to ask for them next; and the ranges other nodes
 * asked for that this node may answer, with when. It sends nothing itself: the engine asks it on its timer what is
 * due, and tells it what it hears. Times are {@link System#nanoTime} values. Thread-safe.
 * <p>
 * Memory is bounded: {@value #MAX_STREAMS_PER_ROOM} streams per room (least recently touched forgotten first),
 * {@value #MAX_GAPS_PER_STREAM} gaps per stream (the oldest abandoned first), {@value #MAX_PENDING_ANSWERS} ranges
 * to answer per room (further requests ignored until some are answered).
 */
public final class Repairer {
    public static final int MAX_STREAMS_PER_ROOM = 1024;
    static final int MAX_GAPS_PER_STREAM = 256;
    static final int MAX_PENDING_ANSWERS = 1024;

    /**
     * @param nackDelayMaxNanos a new gap is asked for after a random wait up to this (others may ask first)
     * @param answerDelayNanos  a request is answered after a random wait about this long (others may answer first)
     * @param retryNanos        how long to wait for an answer before asking again (then twice as long)
     * @param maxAttempts       requests for one gap before it is abandoned (nobody holds it any more)
     * @param horizon           how far back of a stream's newest seq a gap is chased at all (what logs keep per origin)
     */
    public record Settings(long nackDelayMaxNanos, long answerDelayNanos, long retryNanos, int maxAttempts,
                           long horizon) {
    }

    /** Seqs from..to with when they are due and how often they were asked for. */
    private static final class Span {
        final long from;
        final long to;
        long due;
        int attempts;

        Span(long from, long to, long due, int attempts) {
            this.from = from;
            this.to = to;
            this.due = due;
            this.attempts = attempts;
        }
    }

    private static final class StreamGaps {
        /** The highest seq known to exist (heard, or listed in a digest). */
        long known;
        final TreeMap<Long, Span> gaps = new TreeMap<>();
    }

    /** What {@link #received} makes of a seq. */
    public enum Arrival { NEW, LATE }

    private final Settings settings;
    private final Map<String, LinkedHashMap<StreamId, StreamGaps>> rooms = new HashMap<>();
    private final Map<String, Map<StreamId, TreeMap<Long, Span>>> answers = new HashMap<>();
    private long abandoned;

    public Repairer(Settings settings) {
        this.settings = settings;
    }

    /**
     * A seq of a stream arrived (first time or not: a duplicate on the wire is another node's answer, so ours is not
     * needed any more).
     *
     * @return LATE when it fills a known gap, NEW otherwise
     */
    public synchronized Arrival received(StreamId stream, long seq, long now) {
        TreeMap<Long, Span> pending = pendingAnswers(stream.room()).get(stream);
        if (pending != null) {
            remove(pending, seq, seq);
        }
        StreamGaps g = streamGaps(stream);
        if (seq > g.known) {
            addGap(g, g.known + 1, seq - 1, now + randomDelay(settings.nackDelayMaxNanos()));
            g.known = seq;
            return Arrival.NEW;
        }
        return remove(g.gaps, seq, seq) > 0 ? Arrival.LATE : Arrival.NEW;
    }

    /** The log holds a stream up to {@code last} (from an earlier run): that much is known, not a gap. */
    public synchronized void holds(StreamId stream, long last) {
        StreamGaps g = streamGaps(stream);
        g.known = Math.max(g.known, last);
    }

    /** @return whether a seq is not news: the stream is known to have reached it already (a repair, a replay) */
    public synchronized boolean isBehind(StreamId stream, long seq) {
        LinkedHashMap<StreamId, StreamGaps> streams = rooms.get(stream.room());
        StreamGaps g = streams == null ? null : streams.get(stream);
        return g != null && seq <= g.known;
    }

    /**
     * Another node holds {@code first..last} of a stream: what lies beyond the newest seq known here is a gap (a tail
     * loss, or traffic of the other side of a partition).
     *
     * @return whether the sender knows less of the stream than this node (then this node's digest helps it)
     */
    public synchronized boolean digest(StreamId stream, long first, long last, long now) {
        StreamGaps g = streamGaps(stream);
        boolean senderBehind = last < g.known;
        if (last > g.known) {
            addGap(g, Math.max(g.known + 1, first), last, now + randomDelay(settings.nackDelayMaxNanos()));
            g.known = last;
        }
        return senderBehind;
    }

    /**
     * Another node asked for a range: this node's request for the same seqs would only repeat it, so it waits as
     * if it had asked itself.
     *
     * @return seqs whose request here was put off
     */
    public synchronized long heardNack(Range r, long now) {
        LinkedHashMap<StreamId, StreamGaps> streams = rooms.get(r.stream().room());
        StreamGaps g = streams == null ? null : streams.get(r.stream());
        if (g == null) {
            return 0;
        }
        long putOff = 0;
        for (Span s : slice(g.gaps, r.from(), r.to())) {
            if (s.due < now + settings.retryNanos()) {
                s.due = now + settings.retryNanos();
                putOff += s.to - s.from + 1;
            }
        }
        return putOff;
    }

    /**
     * @return the ranges of one room to ask for now, stream by stream, within the caps of one NACK
     * ({@link RepairMessages}); each is due again after the retry time unless answered
     */
    public synchronized List<Range> dueNacks(String room, long now) {
        LinkedHashMap<StreamId, StreamGaps> streams = rooms.get(room);
        List<Range> out = new ArrayList<>();
        if (streams == null) {
            return out;
        }
        int streamCount = 0;
        for (Map.Entry<StreamId, StreamGaps> entry : streams.entrySet()) {
            if (streamCount == RepairMessages.MAX_NACK_STREAMS) {
                break;
            }
            int ranges = 0;
            for (Iterator<Span> it = entry.getValue().gaps.values().iterator(); it.hasNext()
                    && ranges < RepairMessages.MAX_NACK_RANGES; ) {
                Span s = it.next();
                if (s.due - now > 0) {
                    continue;
                }
                if (s.attempts >= settings.maxAttempts()) {
                    it.remove();
                    abandoned += s.to - s.from + 1;
                    continue;
                }
                for (long from = s.from; from <= s.to && ranges < RepairMessages.MAX_NACK_RANGES;
                     from += RepairMessages.MAX_NACK_SPAN) {
                    out.add(new Range(entry.getKey(), from, Math.min(s.to, from + RepairMessages.MAX_NACK_SPAN - 1)));
                    ranges++;
                }
                s.due = now + (settings.retryNanos() << Math.min(s.attempts, 1));
                s.attempts++;
            }
            if (ranges > 0) {
                streamCount++;
            }
        }
        return out;
    }

    /**
     * A node asked for a range: this node answers what it holds of it after a random wait, unless another does. The
     * stream's origin, which is the likeliest to hold it all, waits up to half the answer delay, the others one to two
     * answer delays: by then they have heard most of the origin's answer, even of a backlog that takes a while to go
     * out.
     */
    public synchronized void nacked(Range r, boolean origin, long now) {
        Map<StreamId, TreeMap<Long, Span>> pending = pendingAnswers(r.stream().room());
        TreeMap<Long, Span> spans = pending.get(r.stream());
        if (spans == null && pending.size() >= MAX_PENDING_ANSWERS) {
            return;
        }
        spans = pending.computeIfAbsent(r.stream(), s -> new TreeMap<>());
        long max = settings.answerDelayNanos();
        long due = now + (origin ? randomDelay(max / 2) : max + randomDelay(max));
        for (Span s : slice(spans, r.from(), r.to())) {
            due = Math.min(due, s.due); // already pending: no later than planned
            spans.remove(s.from);
        }
        if (countSpans(pending) < MAX_PENDING_ANSWERS) {
            spans.put(r.from(), new Span(r.from(), r.to(), due, 0));
        }
    }

    /** Ranges sent only in part (the rate limit): the rest is answered on a later turn unless another node does. */
    public synchronized void answerLater(Range r, long due) {
        pendingAnswers(r.stream().room()).computeIfAbsent(r.stream(), s -> new TreeMap<>())
                .put(r.from(), new Span(r.from(), r.to(), due, 0));
    }

    /** @return the ranges of one room to answer now (removed from the pending ones) */
    public synchronized List<Range> dueAnswers(String room, long now) {
        List<Range> out = new ArrayList<>();
        Map<StreamId, TreeMap<Long, Span>> pending = answers.get(room);
        if (pending == null) {
            return out;
        }
        for (Iterator<Map.Entry<StreamId, TreeMap<Long, Span>>> streams = pending.entrySet().iterator();
             streams.hasNext(); ) {
            Map.Entry<StreamId, TreeMap<Long, Span>> entry = streams.next();
            for (Iterator<Span> it = entry.getValue().values().iterator(); it.hasNext(); ) {
                Span s = it.next();
                if (s.due - now <= 0) {
                    out.add(new Range(entry.getKey(), s.from, s.to));
                    it.remove();
                }
            }
            if (entry.getValue().isEmpty()) {
                streams.remove();
            }
        }
        return out;
    }

    /** @return seqs not held here and known to exist, all rooms */
    public synchronized long missing() {
        long n = 0;
        for (LinkedHashMap<StreamId, StreamGaps> streams : rooms.values()) {
            for (StreamGaps g : streams.values()) {
                for (Span s : g.gaps.values()) {
                    n += s.to - s.from + 1;
                }
            }
        }
        return n;
    }

    /** @return seqs given up so far: asked for too often without an answer, or beyond the bounds */
    public synchronized long abandoned() {
        return abandoned;
    }

    /** Forgets a room (closed here). */
    public synchronized void forgetRoom(String room) {
        rooms.remove(room);
        answers.remove(room);
    }

    private StreamGaps streamGaps(StreamId stream) {
        LinkedHashMap<StreamId, StreamGaps> streams = rooms.computeIfAbsent(stream.room(),
                r -> new LinkedHashMap<>(16, 0.75f, true));
        StreamGaps g = streams.get(stream);
        if (g == null) {
            g = new StreamGaps();
            streams.put(stream, g);
            if (streams.size() > MAX_STREAMS_PER_ROOM) {
                Iterator<StreamGaps> eldest = streams.values().iterator();
                StreamGaps dropped = eldest.next();
                eldest.remove();
                dropped.gaps.values().forEach(s -> abandoned += s.to - s.from + 1);
            }
        }
        return g;
    }

    private Map<StreamId, TreeMap<Long, Span>> pendingAnswers(String room) {
        return answers.computeIfAbsent(room, r -> new HashMap<>());
    }

    /** Adds the gap from..to, cut to the horizon below {@code to}; above every gap of the stream. */
    private void addGap(StreamGaps g, long from, long to, long due) {
        long start = Math.max(from, to - settings.horizon() + 1);
        if (start > to) {
            return;
        }
        abandoned += start - from;
        g.gaps.put(start, new Span(start, to, due, 0));
        while (g.gaps.size() > MAX_GAPS_PER_STREAM) {
            Span oldest = g.gaps.pollFirstEntry().getValue();
            abandoned += oldest.to - oldest.from + 1;
        }
    }

    /** @return the spans inside from..to after cutting those that cross its ends */
    private static List<Span> slice(TreeMap<Long, Span> spans, long from, long to) {
        cut(spans, from);
        if (to < Long.MAX_VALUE) {
            cut(spans, to + 1);
        }
        return new ArrayList<>(spans.subMap(from, true, to, true).values());
    }

    /** Splits the span that holds {@code at} so that one starts there. */
    private static void cut(TreeMap<Long, Span> spans, long at) {
        Map.Entry<Long, Span> e = spans.lowerEntry(at);
        if (e != null && e.getValue().to >= at) {
            Span s = e.getValue();
            spans.put(s.from, new Span(s.from, at - 1, s.due, s.attempts));
            spans.put(at, new Span(at, s.to, s.due, s.attempts));
        }
    }

    /** Removes from..to from the spans. @return seqs removed */
    private static long remove(TreeMap<Long, Span> spans, long from, long to) {
        long removed = 0;
        for (Span s : slice(spans, from, to)) {
            spans.remove(s.from);
            removed += s.to - s.from + 1;
        }
        return removed;
    }

    private static int countSpans(Map<StreamId, TreeMap<Long, Span>> pending) {
        int n = 0;
        for (TreeMap<Long, Span> spans : pending.values()) {
            n += spans.size();
        }
        return n;
    }

    private static long randomDelay(long max) {
        return max <= 0 ? 0 : ThreadLocalRandom.current().nextLong(max + 1);
    }
}
