package org.xo.transport.norm;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.ShortByReference;

/**
 * The part of NRL's NORM C API ({@code normApi.h} of libnorm 1.5.9, RFC 5740) that XO uses, bound with JNA. Written
 * from the header; each method carries its C signature. Handles are opaque pointers ({@code NULL} is the
 * {@code *_INVALID} value of every handle type). Type mapping on LP64 Linux: {@code UINT16} is {@code short},
 * {@code UINT32} and {@code NormNodeId} are {@code int}, {@code NormSize} ({@code off_t}) is {@code long}, enums are
 * {@code int}. A C++ {@code bool} result is one byte, the rest of its register undefined, so results are
 * {@code byte} (true is non-zero); {@code bool} parameters are passed as {@code boolean}, which JNA widens to an int
 * whose low byte the callee reads.
 * <p>
 * Every call is thread-safe in libnorm (it suspends its protocol thread around the work), except that only one
 * thread may take events ({@link #NormGetNextEvent}).
 */
interface NormApi extends Library {
    // NormObjectType
    int NORM_OBJECT_DATA = 1;
    // NormSyncPolicy
    int NORM_SYNC_ALL = 2;

    // NormEventType: the events XO acts on (the others are read and ignored)
    int NORM_EVENT_INVALID = 0;
    int NORM_TX_QUEUE_VACANCY = 1;
    int NORM_TX_QUEUE_EMPTY = 2;
    int NORM_TX_FLUSH_COMPLETED = 3;
    int NORM_TX_OBJECT_PURGED = 7;
    int NORM_REMOTE_SENDER_NEW = 10;
    int NORM_REMOTE_SENDER_ACTIVE = 13;
    int NORM_RX_OBJECT_NEW = 17;
    int NORM_RX_OBJECT_COMPLETED = 20;
    int NORM_RX_OBJECT_ABORTED = 21;
    int NORM_SEND_ERROR = 27;

    /**
     * {@code typedef struct { NormEventType type; NormSessionHandle session; NormNodeHandle sender;
     * NormObjectHandle object; } NormEvent;}
     */
    @Structure.FieldOrder({"type", "session", "sender", "object"})
    final class NormEvent extends Structure {
        public int type;
        public Pointer session;
        public Pointer sender;
        public Pointer object;
    }

    // ---------------------------------------------------------------------------------------------- instance

    /** {@code NormInstanceHandle NormCreateInstance(bool priorityBoost)}: starts the protocol thread. */
    Pointer NormCreateInstance(boolean priorityBoost);

    /** {@code void NormStopInstance(NormInstanceHandle)}: stops the protocol thread, freezing every session. */
    void NormStopInstance(Pointer instance);

    /** {@code void NormDestroyInstance(NormInstanceHandle)}: destroys its sessions and frees everything. */
    void NormDestroyInstance(Pointer instance);

    /**
     * {@code NormDescriptor NormGetDescriptor(NormInstanceHandle)}: a file descriptor that is readable while events
     * are pending.
     */
    int NormGetDescriptor(Pointer instance);

    /**
     * {@code bool NormGetNextEvent(NormInstanceHandle, NormEvent* theEvent, bool waitForEvent)}. Only ever called
     * with {@code waitForEvent} false: the blocking wait uses {@code select()}, which overruns its {@code fd_set}
     * when the instance's descriptor number is 1024 or more (a busy server has that many). The handles in the event
     * stay valid until the next call.
     */
    byte NormGetNextEvent(Pointer instance, NormEvent event, boolean waitForEvent);

    /**
     * {@code void NormSetAllocationFunctions(NormInstanceHandle, NormAllocFunctionHandle allocFunc,
     * NormFreeFunctionHandle freeFunc)} with {@code char* (*)(size_t)} and {@code void (*)(char*)}: how libnorm
     * allocates a received data object's buffer.
     */
    void NormSetAllocationFunctions(Pointer instance, Pointer allocFunction, Pointer freeFunction);

    // ---------------------------------------------------------------------------------------------- session

    /**
     * {@code NormSessionHandle NormCreateSession(NormInstanceHandle, const char* sessionAddress, UINT16 sessionPort,
     * NormNodeId localNodeId)}.
     */
    Pointer NormCreateSession(Pointer instance, String sessionAddress, short sessionPort, int localNodeId);

    /** {@code void NormDestroySession(NormSessionHandle)}: closes its sockets, drops its pending events. */
    void NormDestroySession(Pointer session);

    /**
     * {@code void NormSetRxPortReuse(NormSessionHandle, bool enableReuse, const char* rxBindAddress,
     * const char* senderAddress, UINT16 senderPort)}; before the sender or receiver starts.
     */
    void NormSetRxPortReuse(Pointer session, boolean enableReuse, String rxBindAddress, String senderAddress,
                            short senderPort);

    /** {@code bool NormSetMulticastInterface(NormSessionHandle, const char* interfaceName)}. */
    byte NormSetMulticastInterface(Pointer session, String interfaceName);

    /** {@code bool NormSetTTL(NormSessionHandle, unsigned char ttl)}. */
    byte NormSetTTL(Pointer session, byte ttl);

    /** {@code bool NormSetMulticastLoopback(NormSessionHandle, bool loopback)}: IP_MULTICAST_LOOP. */
    byte NormSetMulticastLoopback(Pointer session, boolean loopback);

    // ---------------------------------------------------------------------------------------------- sender

    /** {@code void NormSetTxRate(NormSessionHandle, double bitsPerSecond)}. */
    void NormSetTxRate(Pointer session, double bitsPerSecond);

    /**
     * {@code void NormSetGrttEstimate(NormSessionHandle, double grtt)}: the sender's starting estimate of the group
     * round-trip time (seconds), which scales its timers until probing measures it (0.25 s when not set).
     */
    void NormSetGrttEstimate(Pointer session, double grttSeconds);

    /**
     * {@code void NormSetTxCacheBounds(NormSessionHandle, NormSize sizeMax, UINT32 countMin, UINT32 countMax)}: how
     * many sent objects stay repairable (and their buffers allocated) before they are purged.
     */
    void NormSetTxCacheBounds(Pointer session, long sizeMax, int countMin, int countMax);

    /**
     * {@code bool NormStartSender(NormSessionHandle, NormSessionId instanceId, UINT32 bufferSpace,
     * UINT16 segmentSize, UINT16 numData, UINT16 numParity, UINT8 fecId)}; fecId 0 picks the code for the sizes.
     */
    byte NormStartSender(Pointer session, short instanceId, int bufferSpace, short segmentSize, short numData,
                         short numParity, byte fecId);

    /**
     * {@code NormObjectHandle NormDataEnqueue(NormSessionHandle, const char* dataPtr, UINT32 dataLen,
     * const char* infoPtr, unsigned int infoLen)}: NULL when the transmit cache is full of unsent objects. libnorm
     * reads {@code dataPtr} until {@link #NORM_TX_OBJECT_PURGED}.
     */
    Pointer NormDataEnqueue(Pointer session, Pointer data, int dataLength, Pointer info, int infoLength);

    /**
     * {@code bool NormAddAckingNode(NormSessionHandle, NormNodeId nodeId)}: a receiver the watermark process asks to
     * acknowledge (adding one twice does nothing).
     */
    byte NormAddAckingNode(Pointer session, int nodeId);

    /**
     * {@code bool NormSetWatermark(NormSessionHandle, NormObjectHandle objectHandle, bool overrideFlush)}: asks the
     * acking nodes, with NORM_CMD(ACK_REQ) flushes up to the object, to acknowledge it, until all did or the robust
     * factor's rounds are over; a receiver that missed objects up to it learns of them and NACKs, even one that has
     * not received anything of this sender yet (it synchronizes on an ACK_REQ that names it, not on a plain flush).
     */
    byte NormSetWatermark(Pointer session, Pointer object, boolean overrideFlush);

    // ---------------------------------------------------------------------------------------------- receiver

    /** {@code bool NormStartReceiver(NormSessionHandle, UINT32 bufferSpace)}: bufferSpace per remote sender. */
    byte NormStartReceiver(Pointer session, int bufferSpace);

    /** {@code void NormSetRxCacheLimit(NormSessionHandle, unsigned short countMax)}: pending objects per sender. */
    void NormSetRxCacheLimit(Pointer session, short countMax);

    /** {@code void NormSetDefaultSyncPolicy(NormSessionHandle, NormSyncPolicy syncPolicy)}. */
    void NormSetDefaultSyncPolicy(Pointer session, int syncPolicy);

    // ---------------------------------------------------------------------------------------------- objects

    /** {@code NormObjectType NormObjectGetType(NormObjectHandle)}. */
    int NormObjectGetType(Pointer object);

    /** {@code NormSize NormObjectGetSize(NormObjectHandle)}. */
    long NormObjectGetSize(Pointer object);

    /** {@code const char* NormDataAccessData(NormObjectHandle)}: the received bytes, owned by libnorm. */
    Pointer NormDataAccessData(Pointer object);

    /** {@code void NormObjectCancel(NormObjectHandle)}: stops receiving (or sending) the object and frees it. */
    void NormObjectCancel(Pointer object);

    // ---------------------------------------------------------------------------------------------- nodes

    /**
     * {@code bool NormNodeGetAddress(NormNodeHandle, char* addrBuffer, unsigned int* bufferLen, UINT16* port)}: the
     * raw address bytes (4 for IPv4) and the port the remote node sends from.
     */
    byte NormNodeGetAddress(Pointer node, byte[] address, IntByReference addressLength, ShortByReference port);

    /** {@code NormNodeId NormNodeGetId(NormNodeHandle)}. */
    int NormNodeGetId(Pointer node);
}
