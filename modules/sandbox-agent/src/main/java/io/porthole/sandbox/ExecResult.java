package io.porthole.sandbox;

/** How a command run in a container ended: its exit code (-1 if unknown) and its output's end. */
public record ExecResult(int exitCode, String output) {}
