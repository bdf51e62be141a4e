package dataset

import "math/rand/v2"

// emitter turns row groups into fixed-size batches, through a shuffle
// buffer when rng is set, filtering by split.
type emitter struct {
	opts  ScanOptions
	shape Shape
	dtype DType
	rng   *rand.Rand
	buf   Batch // shuffle buffer
	out   *Batch
	yield func(*Batch, error) bool
}

func (e *emitter) add(rg *Batch) bool {
	if e.rng == nil && e.opts.Split == "" {
		return e.addInOrder(rg)
	}
	for i := range rg.Len() {
		if e.opts.Split != "" && rg.Splits[i] != e.opts.Split {
			continue
		}
		if e.rng == nil {
			if !e.push(rg, i) {
				return false
			}
			continue
		}
		if e.buf.IDs == nil {
			e.buf = *NewBatch(e.shape, e.dtype, e.opts.ShuffleWindow)
		}
		e.buf.Append(rg.IDs[i], rg.Labels[i], rg.Splits[i], rg.Row(i))
		if e.buf.Len() >= e.opts.ShuffleWindow && !e.popRandom() {
			return false
		}
	}
	return true
}

// addInOrder yields whole batches as views of the row group (no copy; a
// row group is never reused), finishing a pending partial batch first.
func (e *emitter) addInOrder(rg *Batch) bool {
	i, n, bs := 0, rg.Len(), e.opts.BatchSize
	for ; e.out != nil && i < n; i++ {
		if !e.push(rg, i) {
			return false
		}
	}
	for ; i+bs <= n; i += bs {
		if !e.yield(rg.slice(int64(i), int64(i+bs)), nil) {
			return false
		}
	}
	for ; i < n; i++ {
		if !e.push(rg, i) {
			return false
		}
	}
	return true
}

// popRandom moves a random buffered row to the output (swap-remove).
func (e *emitter) popRandom() bool {
	n := e.buf.Len()
	j := e.rng.IntN(n)
	ok := e.push(&e.buf, j)
	last := n - 1
	e.buf.IDs[j], e.buf.Labels[j], e.buf.Splits[j] = e.buf.IDs[last], e.buf.Labels[last], e.buf.Splits[last]
	sz := e.shape.Size()
	if e.buf.U8 != nil {
		copy(e.buf.U8[j*sz:(j+1)*sz], e.buf.U8[last*sz:])
		e.buf.U8 = e.buf.U8[:last*sz]
	} else {
		copy(e.buf.F32[j*sz:(j+1)*sz], e.buf.F32[last*sz:])
		e.buf.F32 = e.buf.F32[:last*sz]
	}
	e.buf.IDs, e.buf.Labels, e.buf.Splits = e.buf.IDs[:last], e.buf.Labels[:last], e.buf.Splits[:last]
	return ok
}

func (e *emitter) push(src *Batch, i int) bool {
	if e.out == nil {
		e.out = NewBatch(e.shape, e.dtype, e.opts.BatchSize)
	}
	e.out.Append(src.IDs[i], src.Labels[i], src.Splits[i], src.Row(i))
	if e.out.Len() < e.opts.BatchSize {
		return true
	}
	b := e.out
	e.out = nil
	return e.yield(b, nil)
}

// drain empties the shuffle buffer and yields the final short batch.
func (e *emitter) drain() {
	for e.buf.Len() > 0 {
		if !e.popRandom() {
			return
		}
	}
	if e.out != nil && e.out.Len() > 0 {
		e.yield(e.out, nil)
	}
}
