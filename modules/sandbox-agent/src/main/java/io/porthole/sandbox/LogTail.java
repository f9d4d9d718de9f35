package io.porthole.sandbox;

/** The end of a container's output: {@code truncated} when older bytes were dropped to fit. */
public record LogTail(String text, boolean truncated) {}
