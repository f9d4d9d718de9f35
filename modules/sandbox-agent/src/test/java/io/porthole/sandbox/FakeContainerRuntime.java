package io.porthole.sandbox;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An in-memory engine: containers, networks and volumes in maps; {@link #down} fails every call.
 */
final class FakeContainerRuntime implements ContainerRuntime {

  volatile boolean down;
  volatile String procNet = "";
  final List<ContainerSpec> created = new CopyOnWriteArrayList<>();
  private final Map<String, ContainerInfo> containers = new LinkedHashMap<>();
  private final Map<String, NetworkInfo> networks = new LinkedHashMap<>();
  private final Map<String, VolumeInfo> volumes = new LinkedHashMap<>();
  private final List<Consumer<ContainerEvent>> watchers = new CopyOnWriteArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  private void check() {
    if (down) {
      throw new PortholeException(ErrorCode.UNAVAILABLE, "Docker engine at fake is unavailable");
    }
  }

  @Override
  public String ping() {
    check();
    return "fake-1.0";
  }

  @Override
  public boolean hasImage(String image) {
    check();
    return image.startsWith("porthole/");
  }

  @Override
  public synchronized String createContainer(ContainerSpec spec) {
    check();
    if (containers.values().stream().anyMatch(c -> c.name().equals(spec.name()))) {
      throw new PortholeException(ErrorCode.CONFLICT, "name taken: " + spec.name());
    }
    created.add(spec);
    String id = "c" + ids.incrementAndGet();
    containers.put(
        id,
        new ContainerInfo(
            id, spec.name(), spec.image(), spec.labels(), "created", false, 0, "", Map.of()));
    return id;
  }

  @Override
  public void startContainer(String id) {
    ContainerInfo c;
    synchronized (this) {
      check();
      ContainerInfo old = find(id).orElseThrow(() -> notFound(id));
      NetworkInfo net =
          networks.values().stream()
              .filter(n -> n.name().equals(old.name()))
              .findFirst()
              .orElse(null);
      Map<String, String> ips =
          net == null
              ? Map.of()
              : Map.of(net.name(), net.subnets().get(0).replace(".0/24", "." + (2 + ids.get())));
      c =
          new ContainerInfo(
              old.id(), old.name(), old.image(), old.labels(), "running", true, 4242, "now", ips);
      containers.put(old.id(), c);
    }
    watchers.forEach(w -> w.accept(new ContainerEvent(c.id(), "start", c.labels())));
  }

  /** Stops a container as if its process died. */
  void kill(String id) {
    ContainerInfo c;
    synchronized (this) {
      ContainerInfo old = find(id).orElseThrow();
      c =
          new ContainerInfo(
              old.id(), old.name(), old.image(), old.labels(), "exited", false, 0, "", Map.of());
      containers.put(id, c);
    }
    watchers.forEach(w -> w.accept(new ContainerEvent(c.id(), "die", c.labels())));
  }

  private Optional<ContainerInfo> find(String idOrName) {
    ContainerInfo c = containers.get(idOrName);
    if (c != null) {
      return Optional.of(c);
    }
    return containers.values().stream().filter(x -> x.name().equals(idOrName)).findFirst();
  }

  private static PortholeException notFound(String what) {
    return new PortholeException(ErrorCode.NOT_FOUND, "no such object: " + what);
  }

  @Override
  public synchronized Optional<ContainerInfo> inspectContainer(String idOrName) {
    check();
    return find(idOrName);
  }

  @Override
  public synchronized void stopContainer(String id, Duration grace) {
    check();
  }

  @Override
  public synchronized boolean removeContainer(String id) {
    check();
    return find(id).map(c -> containers.remove(c.id()) != null).orElse(false);
  }

  @Override
  public synchronized List<ContainerInfo> listContainers(Map<String, String> labels) {
    check();
    return containers.values().stream().filter(c -> has(c.labels(), labels)).toList();
  }

  private static boolean has(Map<String, String> actual, Map<String, String> wanted) {
    return actual.entrySet().containsAll(wanted.entrySet());
  }

  @Override
  public synchronized String createNetwork(String name, String subnet, Map<String, String> labels) {
    check();
    String id = "n" + ids.incrementAndGet();
    networks.put(id, new NetworkInfo(id, name, List.of(subnet), labels));
    return id;
  }

  @Override
  public synchronized Optional<NetworkInfo> inspectNetwork(String idOrName) {
    check();
    return networks.values().stream()
        .filter(n -> n.id().equals(idOrName) || n.name().equals(idOrName))
        .findFirst();
  }

  @Override
  public synchronized boolean removeNetwork(String idOrName) {
    check();
    return inspectNetwork(idOrName).map(n -> networks.remove(n.id()) != null).orElse(false);
  }

  @Override
  public synchronized List<NetworkInfo> listNetworks(Map<String, String> labels) {
    check();
    return networks.values().stream().filter(n -> has(n.labels(), labels)).toList();
  }

  @Override
  public synchronized void createVolume(String name, Map<String, String> labels) {
    check();
    volumes.putIfAbsent(name, new VolumeInfo(name, labels));
  }

  @Override
  public synchronized boolean removeVolume(String name) {
    check();
    return volumes.remove(name) != null;
  }

  @Override
  public synchronized List<VolumeInfo> listVolumes(Map<String, String> labels) {
    check();
    return volumes.values().stream().filter(v -> has(v.labels(), labels)).toList();
  }

  @Override
  public LogTail logs(String id, LogQuery query, Duration timeout) {
    check();
    return new LogTail("", false);
  }

  @Override
  public String procNetTcp(String id) {
    check();
    return procNet;
  }

  @Override
  public ExecResult exec(String id, List<String> command, int maxBytes, Duration timeout) {
    check();
    return new ExecResult(0, "");
  }

  @Override
  public AutoCloseable watchContainerEvents(
      Map<String, String> labels, Consumer<ContainerEvent> onEvent, Consumer<Throwable> onEnd) {
    check();
    watchers.add(onEvent);
    return () -> watchers.remove(onEvent);
  }

  synchronized List<String> names() {
    List<String> out = new ArrayList<>();
    containers.values().forEach(c -> out.add("container " + c.name()));
    networks.values().forEach(n -> out.add("network " + n.name()));
    volumes.values().forEach(v -> out.add("volume " + v.name()));
    return out;
  }

  @Override
  public void close() {}
}
