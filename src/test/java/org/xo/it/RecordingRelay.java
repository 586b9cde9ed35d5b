package org.xo.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay between two servers that keeps every byte it carries, to see what actually went over the wire: for
 * server-to-server links, whether they were encrypted. Listens on {@code address:port} and connects each accepted
 * connection to {@code target}; {@link #close()} ends the listener and every connection.
 */
final class RecordingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** What the connecting side sent, one record per connection, and what it received. */
    private final List<ByteArrayOutputStream> sent = new CopyOnWriteArrayList<>();
    private final List<ByteArrayOutputStream> received = new CopyOnWriteArrayList<>();

    RecordingRelay(String address, int port, String targetAddress, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetAddress, targetPort);
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName(address), port));
        Thread accept = new Thread(this::acceptAll, "relay-" + address + ":" + port);
        accept.setDaemon(true);
        accept.start();
    }

    private void acceptAll() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                Socket out = new Socket();
                sockets.add(in);
                sockets.add(out);
                out.connect(target, 5_000);
                ByteArrayOutputStream up = new ByteArrayOutputStream();
                ByteArrayOutputStream down = new ByteArrayOutputStream();
                sent.add(up);
                received.add(down);
                pump(in, out, up);
                pump(out, in, down);
            } catch (IOException e) {
                // closed, or the target refused: the connecting side sees its connection end
            }
        }
    }

    private void pump(Socket from, Socket to, ByteArrayOutputStream record) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    synchronized (record) {
                        record.write(buffer, 0, n);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    /**
     * @return how many connections carried anything (Openfire 5 opens one to see whether the peer answers, closes it
     * unused and connects again for the stream)
     */
    int connections() {
        return (int) sent.stream().filter(r -> !text(r).isEmpty()).count();
    }

    /** @return how many connections started TLS: the connecting side asked for STARTTLS and was told to proceed */
    int startTlsConnections() {
        int count = 0;
        for (int i = 0; i < sent.size(); i++) {
            if (text(sent.get(i)).contains("<starttls") && text(received.get(i)).contains("<proceed")) {
                count++;
            }
        }
        return count;
    }

    /** @return whether {@code s} went over any connection, either way, as plain UTF-8 */
    boolean sawInPlainText(String s) {
        return sent.stream().anyMatch(r -> text(r).contains(s)) || received.stream().anyMatch(r -> text(r).contains(s));
    }

    /** The start of each connection both ways, for failure messages. */
    String describe() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < sent.size(); i++) {
            out.append("\n  #").append(i).append(" sent: ").append(start(text(sent.get(i))))
                    .append("\n     received: ").append(start(text(received.get(i))));
        }
        return out.toString();
    }

    private static String start(String text) {
        return text.substring(0, Math.min(400, text.length())).replaceAll("[^\\x20-\\x7e]", ".");
    }

    private static String text(ByteArrayOutputStream record) {
        synchronized (record) {
            return record.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // nothing to do
        }
        sockets.forEach(RecordingRelay::closeQuietly);
    }
}
