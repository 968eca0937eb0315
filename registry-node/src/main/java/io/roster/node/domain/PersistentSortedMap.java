package io.roster.node.domain;

import java.util.AbstractList;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * An immutable sorted map whose changes return a new map sharing all but one path with the old one:
 * a put or a remove copies O(log n) nodes and leaves the old map as it was. A {@link ServiceView}
 * holds its instances in one, so a change of one instance costs a node O(log n) whatever the
 * service's size, where copying a sorted list cost O(n).
 *
 * <p>A weight-balanced tree (Adams' trees with the parameters Data.Map uses: a subtree holds at
 * most 3 times as many entries as its sibling), whose sizes serve both balancing and positional
 * access, so {@link #values()} is a {@link List} with an O(1) size and O(log n) {@code get}, and
 * one {@code int} per node is all balancing costs: 32 bytes a node with compressed references.
 *
 * <p>Why not a library: pcollections' {@code TreePMap} (4.0, well kept) is the nearest, an AVL tree
 * of 40-byte nodes (height and size) without positional access, so {@link ServiceView#instances()}
 * could no longer be a {@code List} without a copy per view. A view needs put, remove, lookup,
 * in-order walks and positional access only: about 200 lines, compared operation by operation with
 * {@link java.util.TreeMap} by {@code PersistentSortedMapTest}.
 *
 * <p>Immutable, so safe to share between threads once published; keys and values must not be null.
 *
 * @param <K> keys, in their natural order
 * @param <V> values
 */
final class PersistentSortedMap<K extends Comparable<? super K>, V> {

  /** A subtree may hold at most this many times as many entries as its sibling. */
  private static final int DELTA = 3;

  /** Below this ratio of its inner to its outer subtree, a rotation is single, else double. */
  private static final int RATIO = 2;

  private static final PersistentSortedMap<?, ?> EMPTY = new PersistentSortedMap<>(null);

  private final Node<K, V> root;

  private PersistentSortedMap(Node<K, V> root) {
    this.root = root;
  }

  @SuppressWarnings("unchecked")
  static <K extends Comparable<? super K>, V> PersistentSortedMap<K, V> empty() {
    return (PersistentSortedMap<K, V>) EMPTY;
  }

  /**
   * A map of {@code values}, each under the key {@code keyOf} gives it, in O(n).
   *
   * @throws IllegalArgumentException when the keys are not strictly ascending
   */
  static <K extends Comparable<? super K>, V> PersistentSortedMap<K, V> ofSorted(
      List<? extends V> values, Function<? super V, ? extends K> keyOf) {
    for (int i = 1; i < values.size(); i++) {
      if (keyOf.apply(values.get(i - 1)).compareTo(keyOf.apply(values.get(i))) >= 0) {
        throw new IllegalArgumentException(
            "keys are not strictly ascending at position " + i + ": " + keyOf.apply(values.get(i)));
      }
    }
    return values.isEmpty()
        ? empty()
        : new PersistentSortedMap<>(build(values, keyOf, 0, values.size()));
  }

  int size() {
    return sizeOf(root);
  }

  boolean isEmpty() {
    return root == null;
  }

  /** The value under {@code key}, or null. */
  V get(K key) {
    Node<K, V> node = root;
    while (node != null) {
      int order = key.compareTo(node.key);
      if (order == 0) {
        return node.value;
      }
      node = order < 0 ? node.left : node.right;
    }
    return null;
  }

  /** This map with {@code value} under {@code key}. */
  PersistentSortedMap<K, V> put(K key, V value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return new PersistentSortedMap<>(put(root, key, value));
  }

  /** This map without {@code key}; this very map when it holds no such key. */
  PersistentSortedMap<K, V> remove(K key) {
    Node<K, V> removed = remove(root, key);
    return removed == root ? this : new PersistentSortedMap<>(removed);
  }

  /** The values in key order: a view, O(1) to take, O(log n) per {@code get}, O(n) to walk. */
  List<V> values() {
    return new Values<>(root);
  }

  /** Calls {@code action} with every entry, in key order. */
  void forEach(BiConsumer<? super K, ? super V> action) {
    Iterator<Node<K, V>> nodes = new InOrder<>(root);
    while (nodes.hasNext()) {
      Node<K, V> node = nodes.next();
      action.accept(node.key, node.value);
    }
  }

  /** What breaks the tree's invariants (order, sizes, balance), or null when none (for tests). */
  String invariantViolation() {
    return violation(root, null, null);
  }

  private static <K extends Comparable<? super K>, V> String violation(
      Node<K, V> node, K above, K below) {
    if (node == null) {
      return null;
    }
    if ((above != null && node.key.compareTo(above) <= 0)
        || (below != null && node.key.compareTo(below) >= 0)) {
      return "key " + node.key + " out of order between " + above + " and " + below;
    }
    int left = sizeOf(node.left);
    int right = sizeOf(node.right);
    if (node.size != left + right + 1) {
      return "size " + node.size + " at " + node.key + ", counted " + (left + right + 1);
    }
    if (left + right > 1 && (left > DELTA * right || right > DELTA * left)) {
      return "unbalanced at " + node.key + ": " + left + " against " + right;
    }
    String inLeft = violation(node.left, above, node.key);
    return inLeft != null ? inLeft : violation(node.right, node.key, below);
  }

  private static <K, V> Node<K, V> build(
      List<? extends V> values, Function<? super V, ? extends K> keyOf, int from, int to) {
    if (from >= to) {
      return null;
    }
    int middle = (from + to) >>> 1;
    V value = values.get(middle);
    return node(
        keyOf.apply(value),
        value,
        build(values, keyOf, from, middle),
        build(values, keyOf, middle + 1, to));
  }

  private static <K extends Comparable<? super K>, V> Node<K, V> put(
      Node<K, V> node, K key, V value) {
    if (node == null) {
      return new Node<>(key, value, null, null, 1);
    }
    int order = key.compareTo(node.key);
    if (order < 0) {
      return balance(node.key, node.value, put(node.left, key, value), node.right);
    }
    if (order > 0) {
      return balance(node.key, node.value, node.left, put(node.right, key, value));
    }
    return new Node<>(key, value, node.left, node.right, node.size);
  }

  private static <K extends Comparable<? super K>, V> Node<K, V> remove(Node<K, V> node, K key) {
    if (node == null) {
      return null;
    }
    int order = key.compareTo(node.key);
    if (order < 0) {
      Node<K, V> left = remove(node.left, key);
      return left == node.left ? node : balance(node.key, node.value, left, node.right);
    }
    if (order > 0) {
      Node<K, V> right = remove(node.right, key);
      return right == node.right ? node : balance(node.key, node.value, node.left, right);
    }
    return glue(node.left, node.right);
  }

  /**
   * The two subtrees of a removed node, joined: the larger gives up its entry nearest the other.
   */
  private static <K, V> Node<K, V> glue(Node<K, V> left, Node<K, V> right) {
    if (left == null) {
      return right;
    }
    if (right == null) {
      return left;
    }
    if (left.size > right.size) {
      Node<K, V> max = left;
      while (max.right != null) {
        max = max.right;
      }
      return balance(max.key, max.value, removeMax(left), right);
    }
    Node<K, V> min = right;
    while (min.left != null) {
      min = min.left;
    }
    return balance(min.key, min.value, left, removeMin(right));
  }

  private static <K, V> Node<K, V> removeMin(Node<K, V> node) {
    if (node.left == null) {
      return node.right;
    }
    return balance(node.key, node.value, removeMin(node.left), node.right);
  }

  private static <K, V> Node<K, V> removeMax(Node<K, V> node) {
    if (node.right == null) {
      return node.left;
    }
    return balance(node.key, node.value, node.left, removeMax(node.right));
  }

  /**
   * A node of {@code key} over {@code left} and {@code right}, rotated back into balance. One call
   * suffices after one entry was put in or taken out of either side: with (3, 2) a single or double
   * rotation always restores the balance (Straka, "Adams' trees revisited", 2011).
   */
  private static <K, V> Node<K, V> balance(K key, V value, Node<K, V> left, Node<K, V> right) {
    int leftSize = sizeOf(left);
    int rightSize = sizeOf(right);
    if (leftSize + rightSize <= 1) {
      return node(key, value, left, right);
    }
    if (rightSize > DELTA * leftSize) {
      Node<K, V> inner = right.left;
      if (sizeOf(inner) < RATIO * sizeOf(right.right)) {
        return node(right.key, right.value, node(key, value, left, inner), right.right);
      }
      return node(
          inner.key,
          inner.value,
          node(key, value, left, inner.left),
          node(right.key, right.value, inner.right, right.right));
    }
    if (leftSize > DELTA * rightSize) {
      Node<K, V> inner = left.right;
      if (sizeOf(inner) < RATIO * sizeOf(left.left)) {
        return node(left.key, left.value, left.left, node(key, value, inner, right));
      }
      return node(
          inner.key,
          inner.value,
          node(left.key, left.value, left.left, inner.left),
          node(key, value, inner.right, right));
    }
    return node(key, value, left, right);
  }

  private static <K, V> Node<K, V> node(K key, V value, Node<K, V> left, Node<K, V> right) {
    return new Node<>(key, value, left, right, sizeOf(left) + sizeOf(right) + 1);
  }

  private static int sizeOf(Node<?, ?> node) {
    return node == null ? 0 : node.size;
  }

  private static final class Node<K, V> {
    final K key;
    final V value;
    final Node<K, V> left;
    final Node<K, V> right;

    /** Entries in this subtree, this one included. */
    final int size;

    Node(K key, V value, Node<K, V> left, Node<K, V> right, int size) {
      this.key = key;
      this.value = value;
      this.left = left;
      this.right = right;
      this.size = size;
    }
  }

  /** The nodes of a tree in key order, with a stack as deep as the tree. */
  private static final class InOrder<K, V> implements Iterator<Node<K, V>> {
    private final ArrayDeque<Node<K, V>> path = new ArrayDeque<>();

    InOrder(Node<K, V> root) {
      descendLeft(root);
    }

    @Override
    public boolean hasNext() {
      return !path.isEmpty();
    }

    @Override
    public Node<K, V> next() {
      Node<K, V> node = path.pollFirst();
      if (node == null) {
        throw new NoSuchElementException();
      }
      descendLeft(node.right);
      return node;
    }

    private void descendLeft(Node<K, V> node) {
      for (Node<K, V> at = node; at != null; at = at.left) {
        path.addFirst(at);
      }
    }
  }

  /** The values of one tree as an unmodifiable list. */
  private static final class Values<K, V> extends AbstractList<V> {
    private final Node<K, V> root;

    Values(Node<K, V> root) {
      this.root = root;
    }

    @Override
    public V get(int index) {
      if (index < 0 || index >= sizeOf(root)) {
        throw new IndexOutOfBoundsException("index " + index + " of " + sizeOf(root));
      }
      Node<K, V> node = root;
      int at = index;
      while (true) {
        int left = sizeOf(node.left);
        if (at < left) {
          node = node.left;
        } else if (at > left) {
          at -= left + 1;
          node = node.right;
        } else {
          return node.value;
        }
      }
    }

    @Override
    public int size() {
      return sizeOf(root);
    }

    @Override
    public Iterator<V> iterator() {
      InOrder<K, V> nodes = new InOrder<>(root);
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return nodes.hasNext();
        }

        @Override
        public V next() {
          return nodes.next().value;
        }
      };
    }
  }
}
