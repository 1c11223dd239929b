# Sourced on a bare GPU machine (no network) before a study runs there: fastcore's wheel in .whl/ and the
# four Fashion-MNIST IDX files in .fm/ (both ignored by git) are used when present, dd_nb comes from the working tree,
# and `dd_nb_distill` is a shim when the package is not installed.
if [ -d .whl ] && ! python3 -c "import fastcore" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:-}:$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  mkdir -p /usr/share/datasets/fashion-mnist && cp .fm/*.gz /usr/share/datasets/fashion-mnist/; fi
if ! command -v dd_nb_distill >/dev/null; then  # not installed: the console script, by hand
  mkdir -p /tmp/bin
  printf '#!/bin/sh\nexec python3 -c "from dd_nb.cli import distill_main as m; m()" "$@"\n' \
    > /tmp/bin/dd_nb_distill
  chmod +x /tmp/bin/dd_nb_distill
  export PATH=/tmp/bin:$PATH
fi
nvidia-smi -L 2>/dev/null; python3 -c "import torch; print(torch.__version__, torch.cuda.is_available())"
