package org.xo.sync;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.xo.core.StreamId;
import org.xo.core.Varint;

/**
 * The bodies of the repair envelopes ({@link org.xo.core.Kind#DIGEST}, {@link org.xo.core.Kind#NACK}): binary, sent as
 * unpadded base64url text in the envelope's stanza field (which must be UTF-8 text). The room is the envelope's.
 * <pre>
 * digest body = entry*            1..{@value #MAX_DIGEST_STREAMS} entries
 *   entry     = originNode i64, originEpoch i32, first varint (1..), span varint (last - first)
 * nack body   = stream*           1..{@value #MAX_NACK_STREAMS} streams (more are dropped, the NACK is capped)
 *   stream    = originNode i64, originEpoch i32, count u8 (1..{@value #MAX_NACK_RANGES}), range*count
 *   range     = from varint (1..), span varint (to - from; capped to {@value #MAX_NACK_SPAN} - 1)
 * </pre>
 * Decoding is strict: a bad base64 text, a truncated entry, a seq of 0, a sum past 2^63 or trailing bytes make the
 * whole body malformed. What is only too much (streams, spans) is capped and said so.
 */
public final class RepairMessages {
    /** Streams one digest lists at most: 24 entries of at most 32 bytes fit a 1400-byte datagram in base64. */
    public static final int MAX_DIGEST_STREAMS = 24;
    /** Streams one NACK asks about; a receiver ignores the rest. */
    public static final int MAX_NACK_STREAMS = 16;
    /** Ranges per stream in one NACK. */
    public static final int MAX_NACK_RANGES = 16;
    /** Seqs one range asks for at most; a receiver answers no more of it. */
    public static final int MAX_NACK_SPAN = 1024;
    /** The longest body accepted, in base64 characters (bounds the decoding work before any check). */
    private static final int MAX_TEXT = 4096;

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private RepairMessages() {
    }

    /** What a node holds of one stream: first to last (there may be holes between). */
    public record DigestEntry(StreamId stream, long first, long last) {
    }

    /** Seqs from..to (inclusive) of one stream. */
    public record Range(StreamId stream, long from, long to) {
        public long length() {
            return to - from + 1;
        }
    }

    /** A decoded NACK: its ranges, and whether some of what it asked was cut off by the caps. */
    public record Nack(List<Range> ranges, boolean capped) {
    }

    /** A body that breaks the layout. */
    public static final class MalformedRepairException extends Exception {
        MalformedRepairException(String message) {
            super(message);
        }
    }

    /** @throws IllegalArgumentException when there are no entries or more than {@link #MAX_DIGEST_STREAMS} */
    public static String encodeDigest(List<DigestEntry> entries) {
        if (entries.isEmpty() || entries.size() > MAX_DIGEST_STREAMS) {
            throw new IllegalArgumentException("A digest lists 1 to " + MAX_DIGEST_STREAMS + " streams, not "
                    + entries.size() + ".");
        }
        ByteBuffer out = ByteBuffer.allocate(entries.size() * (12 + 2 * Varint.MAX_BYTES));
        for (DigestEntry e : entries) {
            out.putLong(e.stream().originNode()).putInt(e.stream().originEpoch());
            Varint.write(out, e.first());
            Varint.write(out, e.last() - e.first());
        }
        return ENCODER.encodeToString(java.util.Arrays.copyOf(out.array(), out.position()));
    }

    public static List<DigestEntry> decodeDigest(String room, String body) throws MalformedRepairException {
        ByteBuffer in = bytes(body);
        List<DigestEntry> entries = new ArrayList<>();
        try {
            while (in.hasRemaining()) {
                if (entries.size() == MAX_DIGEST_STREAMS) {
                    throw new MalformedRepairException("more than " + MAX_DIGEST_STREAMS + " digest entries");
                }
                StreamId stream = new StreamId(in.getLong(), in.getInt(), room);
                long first = seq(in);
                entries.add(new DigestEntry(stream, first, first + span(in, first)));
            }
        } catch (BufferUnderflowException e) {
            throw new MalformedRepairException("digest entry truncated");
        }
        if (entries.isEmpty()) {
            throw new MalformedRepairException("empty digest");
        }
        return entries;
    }

    /**
     * @param ranges by stream, each stream's ranges together; at most {@link #MAX_NACK_STREAMS} streams,
     *               {@link #MAX_NACK_RANGES} ranges each, spans within {@link #MAX_NACK_SPAN}
     */
    public static String encodeNack(List<Range> ranges) {
        ByteBuffer out = ByteBuffer.allocate(ranges.size() * (13 + 2 * Varint.MAX_BYTES));
        int streams = 0;
        for (int i = 0; i < ranges.size(); ) {
            StreamId stream = ranges.get(i).stream();
            int end = i;
            while (end < ranges.size() && ranges.get(end).stream().equals(stream)) {
                end++;
            }
            if (++streams > MAX_NACK_STREAMS || end - i > MAX_NACK_RANGES) {
                throw new IllegalArgumentException("Too many streams or ranges for one NACK.");
            }
            out.putLong(stream.originNode()).putInt(stream.originEpoch()).put((byte) (end - i));
            for (; i < end; i++) {
                Range r = ranges.get(i);
                if (r.from() < 1 || r.length() < 1 || r.length() > MAX_NACK_SPAN) {
                    throw new IllegalArgumentException("NACK range out of bounds: " + r);
                }
                Varint.write(out, r.from());
                Varint.write(out, r.to() - r.from());
            }
        }
        if (streams == 0) {
            throw new IllegalArgumentException("A NACK asks for something.");
        }
        return ENCODER.encodeToString(java.util.Arrays.copyOf(out.array(), out.position()));
    }

    public static Nack decodeNack(String room, String body) throws MalformedRepairException {
        ByteBuffer in = bytes(body);
        List<Range> ranges = new ArrayList<>();
        boolean capped = false;
        int streams = 0;
        try {
            while (in.hasRemaining()) {
                StreamId stream = new StreamId(in.getLong(), in.getInt(), room);
                int count = in.get() & 0xff;
                if (count < 1 || count > MAX_NACK_RANGES) {
                    throw new MalformedRepairException(count + " ranges in a NACK stream");
                }
                boolean kept = ++streams <= MAX_NACK_STREAMS;
                capped |= !kept;
                for (int i = 0; i < count; i++) {
                    long from = seq(in);
                    long span = span(in, from);
                    if (span >= MAX_NACK_SPAN) {
                        capped = true;
                        span = MAX_NACK_SPAN - 1;
                    }
                    if (kept) {
                        ranges.add(new Range(stream, from, from + span));
                    }
                }
            }
        } catch (BufferUnderflowException e) {
            throw new MalformedRepairException("NACK entry truncated");
        }
        if (ranges.isEmpty()) {
            throw new MalformedRepairException("empty NACK");
        }
        return new Nack(ranges, capped);
    }

    private static ByteBuffer bytes(String body) throws MalformedRepairException {
        if (body.length() > MAX_TEXT) {
            throw new MalformedRepairException("body of " + body.length() + " characters");
        }
        try {
            return ByteBuffer.wrap(DECODER.decode(body));
        } catch (IllegalArgumentException e) {
            throw new MalformedRepairException("body is not base64url");
        }
    }

    private static long seq(ByteBuffer in) throws MalformedRepairException {
        long seq = varint(in);
        if (seq < 1) {
            throw new MalformedRepairException("seq " + Long.toUnsignedString(seq));
        }
        return seq;
    }

    private static long span(ByteBuffer in, long from) throws MalformedRepairException {
        long span = varint(in);
        if (span < 0 || from + span < from) {
            throw new MalformedRepairException("span " + Long.toUnsignedString(span) + " past 2^63");
        }
        return span;
    }

    private static long varint(ByteBuffer in) throws MalformedRepairException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.get() & 0xff;
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new MalformedRepairException("varint beyond 64 bits");
    }
}
