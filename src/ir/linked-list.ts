// A doubly linked list that tolerates edits while it is being iterated: a removed entry keeps its
// forward link, so an iterator standing on it continues with what followed it, and entries added
// after the current one are visited. (The same idea as onnx/ir-py's _linked_list.)

interface Box<T> {
  value: T | undefined;
  prev: Box<T>;
  next: Box<T>;
  erased: boolean;
}

export class LinkedList<T extends object> implements Iterable<T> {
  private readonly root: Box<T>;
  private readonly boxes = new Map<T, Box<T>>();

  constructor(items: Iterable<T> = []) {
    const root = { value: undefined, erased: false } as unknown as Box<T>;
    root.prev = root;
    root.next = root;
    this.root = root;
    for (const item of items) this.append(item);
  }

  get length(): number {
    return this.boxes.size;
  }

  has(item: T): boolean {
    return this.boxes.has(item);
  }

  first(): T | undefined {
    return this.root.next.value;
  }

  last(): T | undefined {
    return this.root.prev.value;
  }

  append(item: T): void {
    this.insertAfterBox(this.root.prev, item);
  }

  prepend(item: T): void {
    this.insertAfterBox(this.root, item);
  }

  insertAfter(anchor: T, item: T): void {
    this.insertAfterBox(this.boxOf(anchor), item);
  }

  insertBefore(anchor: T, item: T): void {
    this.insertAfterBox(this.boxOf(anchor).prev, item);
  }

  remove(item: T): void {
    const box = this.boxOf(item);
    box.prev.next = box.next;
    box.next.prev = box.prev;
    box.erased = true;
    // box.next is left pointing forward on purpose: see the file comment.
    this.boxes.delete(item);
  }

  *[Symbol.iterator](): Iterator<T> {
    let box = this.root.next;
    while (box !== this.root) {
      if (!box.erased) yield box.value as T;
      box = box.next;
    }
  }

  *reversed(): Iterator<T> & Iterable<T> {
    let box = this.root.prev;
    while (box !== this.root) {
      if (!box.erased) yield box.value as T;
      box = box.prev;
    }
  }

  toArray(): T[] {
    return [...this];
  }

  private boxOf(item: T): Box<T> {
    const box = this.boxes.get(item);
    if (!box) throw new Error('item is not in this list');
    return box;
  }

  private insertAfterBox(anchor: Box<T>, item: T): void {
    if (this.boxes.has(item)) throw new Error('item is already in this list');
    const box: Box<T> = { value: item, prev: anchor, next: anchor.next, erased: false };
    anchor.next.prev = box;
    anchor.next = box;
    this.boxes.set(item, box);
  }
}
