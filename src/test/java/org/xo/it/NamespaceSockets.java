package org.xo.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.Callable;

import javax.net.SocketFactory;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Sockets that live in a network namespace while the rest of the JVM stays in the root one: the calling thread
 * switches with {@code setns(2)} (which only moves that thread), creates the socket, and switches back. A socket
 * belongs for life to the namespace it was created in, so it can then be used from any thread. This lets one test
 * JVM hold clients in many namespaces, each really sending through its own namespace's routes. Root only.
 */
public final class NamespaceSockets {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY_CLOEXEC = 0x80000;

    private interface LibC extends Library {
        LibC C = Native.load("c", LibC.class);

        int open(String path, int flags);

        int close(int fd);

        int setns(int fd, int nstype);
    }

    private NamespaceSockets() {
    }

    /** Runs {@code action} on the calling thread inside namespace {@code ns} (a name under /run/netns). */
    public static <T> T inNamespace(String ns, Callable<T> action) throws IOException {
        int home = open("/proc/thread-self/ns/net");
        try {
            int target = open("/run/netns/" + ns);
            try {
                setns(target, ns);
            } finally {
                LibC.C.close(target);
            }
            try {
                return action.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            } finally {
                // Failing to return would leave a pooled thread in the wrong namespace: never carry on from that.
                if (LibC.C.setns(home, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("cannot return thread to its namespace: errno "
                            + Native.getLastError());
                }
            }
        } finally {
            LibC.C.close(home);
        }
    }

    /** Socket factory whose sockets are made (and bound to an ephemeral port) inside namespace {@code ns}. */
    public static SocketFactory socketFactory(String ns) {
        return new SocketFactory() {
            @Override
            public Socket createSocket() throws IOException {
                return inNamespace(ns, () -> {
                    Socket socket = new Socket();
                    // Binding creates the descriptor now, inside the namespace (Socket creates it lazily).
                    socket.bind(new InetSocketAddress(0));
                    return socket;
                });
            }

            @Override
            public Socket createSocket(String host, int port) throws IOException {
                return connected(new InetSocketAddress(host, port));
            }

            @Override
            public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
                throw new UnsupportedOperationException("local binding is not supported here");
            }

            @Override
            public Socket createSocket(InetAddress host, int port) throws IOException {
                return connected(new InetSocketAddress(host, port));
            }

            @Override
            public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
                throw new UnsupportedOperationException("local binding is not supported here");
            }

            private Socket connected(InetSocketAddress to) throws IOException {
                Socket socket = createSocket();
                try {
                    socket.connect(to);
                    return socket;
                } catch (IOException e) {
                    socket.close();
                    throw e;
                }
            }
        };
    }

    private static int open(String path) throws IOException {
        int fd = LibC.C.open(path, O_RDONLY_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open " + path + ": errno " + Native.getLastError());
        }
        return fd;
    }

    private static void setns(int fd, String ns) throws IOException {
        if (LibC.C.setns(fd, CLONE_NEWNET) != 0) {
            throw new IOException("setns into " + ns + " failed: errno " + Native.getLastError());
        }
    }
}
