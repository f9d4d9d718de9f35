package io.porthole.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The few operating-system calls embedded PostgreSQL needs as root. Blocking. */
final class Os {

  private Os() {}

  static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  static void ensureSystemUser(String user) throws IOException {
    if (run(List.of("id", "-u", user)) == 0) {
      return;
    }
    int exit =
        run(
            List.of(
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                user));
    // another process may have created it meanwhile
    if (exit != 0 && run(List.of("id", "-u", user)) != 0) {
      throw new IOException(
          "could not create system user " + user + " (useradd exited " + exit + ")");
    }
  }

  /** Whether {@code user} can reach and write {@code dir}. */
  static boolean canTraverse(String user, Path dir) throws IOException {
    return run(
            List.of(
                "setpriv",
                "--reuid=" + user,
                "--regid=" + user,
                "--clear-groups",
                "--",
                "test",
                "-x",
                dir.toString()))
        == 0;
  }

  static void chown(String user, Path path) throws IOException {
    int exit = run(List.of("chown", "-R", user + ":" + user, path.toString()));
    if (exit != 0) {
      throw new IOException("chown " + user + " " + path + " exited " + exit);
    }
  }

  static void makeWorldReadable(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            addPermissions(
                dir, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!attrs.isSymbolicLink()) {
              addPermissions(file, PosixFilePermission.OTHERS_READ);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  static void addPermissions(Path p, PosixFilePermission... extra) throws IOException {
    Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(p));
    perms.addAll(List.of(extra));
    Files.setPosixFilePermissions(p, perms);
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  static int run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not finish in 60 s");
      }
      if (p.exitValue() != 0 && out.length > 0 && !cmd.get(0).equals("id")) {
        org.slf4j.LoggerFactory.getLogger(Os.class)
            .debug("{}: {}", cmd.get(0), new String(out, StandardCharsets.UTF_8).trim());
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
