package io.podvisor.hypervisor.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes native memory the host side allocates (structs and strings passed to {@link Libc}) through
 * {@link ByteBuffer} views: in a native image every ValueLayout accessor of MemorySegment ({@code get},
 * {@code set}, {@code getString}, {@code allocateFrom}) throws, while allocation, {@code address()} and
 * {@code asByteBuffer()} work. The JVM takes the same path.
 */
public final class NativeMemory {

    private NativeMemory() {}

    /** A view of {@code segment} in the machine's byte order, for absolute get and put at byte offsets. */
    public static ByteBuffer view(MemorySegment segment) {
        return segment.asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /** The address of {@code value} as a NUL-terminated UTF-8 string in {@code arena}; 0 for null. */
    public static long cString(Arena arena, String value) {
        if (value == null) {
            return 0;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        MemorySegment string = arena.allocate(bytes.length + 1L);
        string.asByteBuffer().put(0, bytes).put(bytes.length, (byte) 0);
        return string.address();
    }

    /** The UTF-8 string at {@code address}, up to its first NUL or {@code max} bytes. */
    static String string(long address, int max) {
        ByteBuffer bytes = MemorySegment.ofAddress(address).reinterpret(max).asByteBuffer();
        int length = 0;
        while (length < max && bytes.get(length) != 0) {
            length++;
        }
        byte[] text = new byte[length];
        bytes.get(0, text);
        return new String(text, StandardCharsets.UTF_8);
    }
}
