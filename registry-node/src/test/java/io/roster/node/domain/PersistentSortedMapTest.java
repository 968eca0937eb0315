package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PersistentSortedMap} against {@link TreeMap}: random puts and removes on both, every map
 * made along the way checked entry by entry, in order and by position, and the tree's invariants
 * (order, sizes, balance) after each step; maps kept from earlier steps must not have moved.
 */
@Timeout(60)
class PersistentSortedMapTest {

  /** A value that names its key, as an instance record does. */
  private record Entry(String key, int value) {}

  private static final Function<Entry, String> KEY = Entry::key;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomPutsAndRemovesAgreeWithATreeMap(long seed) {
    Random random = new Random(seed);
    // Few keys: puts replace and removes hit often. Many keys: the tree grows deep.
    int keys = seed % 2 == 0 ? 40 : 5_000;
    PersistentSortedMap<String, Entry> map = PersistentSortedMap.empty();
    TreeMap<String, Entry> model = new TreeMap<>();
    List<PersistentSortedMap<String, Entry>> kept = new ArrayList<>();
    List<TreeMap<String, Entry>> keptModels = new ArrayList<>();

    for (int step = 0; step < 20_000; step++) {
      String key = String.format("k-%05d", random.nextInt(keys));
      // Twice as many puts as removes early on, so the map grows; then even.
      boolean put = random.nextInt(step < 10_000 ? 3 : 2) != 0;
      if (put) {
        Entry entry = new Entry(key, step);
        map = map.put(key, entry);
        model.put(key, entry);
      } else {
        PersistentSortedMap<String, Entry> before = map;
        map = map.remove(key);
        if (model.remove(key) == null) {
          assertSame(before, map, "removing an absent key made a new map");
        }
      }
      assertNull(map.invariantViolation(), "step " + step);
      assertEquals(model.size(), map.size(), "step " + step);
      assertEquals(model.get(key), map.get(key), "step " + step);
      if (step % 997 == 0) {
        assertSameEntries(model, map);
        kept.add(map);
        keptModels.add(new TreeMap<>(model));
      }
    }
    assertSameEntries(model, map);
    for (int i = 0; i < kept.size(); i++) {
      assertSameEntries(keptModels.get(i), kept.get(i));
    }
  }

  @Test
  void removingEveryEntryLeavesAnEmptyMap() {
    PersistentSortedMap<String, Entry> map = PersistentSortedMap.empty();
    for (int i = 0; i < 1_000; i++) {
      map = map.put("k-" + i, new Entry("k-" + i, i));
    }
    for (int i = 999; i >= 0; i -= 2) {
      map = map.remove("k-" + i);
    }
    for (int i = 0; i < 1_000; i += 2) {
      map = map.remove("k-" + i);
      assertNull(map.invariantViolation());
    }
    assertTrue(map.isEmpty());
    assertEquals(0, map.size());
    assertEquals(List.of(), map.values());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 7, 100, 1_023, 1_024, 5_000})
  void aMapBuiltFromSortedValuesIsBalancedAndHoldsThemAll(int size) {
    List<Entry> sorted = new ArrayList<>();
    TreeMap<String, Entry> model = new TreeMap<>();
    for (int i = 0; i < size; i++) {
      Entry entry = new Entry(String.format("k-%05d", i), i);
      sorted.add(entry);
      model.put(entry.key(), entry);
    }

    PersistentSortedMap<String, Entry> map = PersistentSortedMap.ofSorted(sorted, KEY);

    assertNull(map.invariantViolation());
    assertSameEntries(model, map);
    // And it goes on like any other map.
    map = map.put("k-00000a", new Entry("k-00000a", -1)).remove("k-00001");
    model.put("k-00000a", new Entry("k-00000a", -1));
    model.remove("k-00001");
    assertNull(map.invariantViolation());
    assertSameEntries(model, map);
  }

  @Test
  void valuesOutOfOrderAreRefused() {
    List<Entry> unsorted = List.of(new Entry("b", 1), new Entry("a", 2));
    List<Entry> repeated = List.of(new Entry("a", 1), new Entry("a", 2));

    assertThrows(IllegalArgumentException.class, () -> PersistentSortedMap.ofSorted(unsorted, KEY));
    assertThrows(IllegalArgumentException.class, () -> PersistentSortedMap.ofSorted(repeated, KEY));
  }

  @Test
  void valuesAreAListThatCannotBeChanged() {
    PersistentSortedMap<String, Entry> map =
        PersistentSortedMap.<String, Entry>empty().put("a", new Entry("a", 1));

    List<Entry> values = map.values();

    assertThrows(UnsupportedOperationException.class, () -> values.add(new Entry("b", 2)));
    assertThrows(UnsupportedOperationException.class, () -> values.remove(0));
    assertThrows(IndexOutOfBoundsException.class, () -> values.get(1));
    assertThrows(IndexOutOfBoundsException.class, () -> values.get(-1));
  }

  private static void assertSameEntries(
      TreeMap<String, Entry> model, PersistentSortedMap<String, Entry> map) {
    assertNull(map.invariantViolation());
    assertEquals(model.size(), map.size());
    List<Entry> expected = new ArrayList<>(model.values());
    List<Entry> values = map.values();
    assertEquals(expected.size(), values.size());
    Iterator<Entry> walked = values.iterator();
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), walked.next(), "walk at " + i);
      assertEquals(expected.get(i), values.get(i), "position " + i);
    }
    assertTrue(!walked.hasNext());
    List<String> keys = new ArrayList<>();
    map.forEach((key, value) -> keys.add(key));
    assertEquals(new ArrayList<>(model.keySet()), keys);
    for (Map.Entry<String, Entry> entry : model.entrySet()) {
      assertEquals(entry.getValue(), map.get(entry.getKey()));
    }
  }
}
