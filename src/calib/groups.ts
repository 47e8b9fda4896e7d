/**
 * Split tensors (in graph order) into groups whose outputs fit in `budget` bytes per run. A tensor
 * larger than the budget goes alone. Each group costs one pass over the data, so groups are filled
 * greedily; unknown sizes count as the largest known one, to stay on the safe side.
 */
export function planGroups(sizes: readonly (number | undefined)[], budget: number): number[][] {
  const known = sizes.filter((s): s is number => s !== undefined);
  const fallback = known.length > 0 ? Math.max(...known) : 0;
  const groups: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, index) => {
    const s = size ?? fallback;
    if (current.length > 0 && bytes + s > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += s;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}
