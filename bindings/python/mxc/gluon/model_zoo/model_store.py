"""Where pretrained parameters are looked for. mxc does not download: ``get_model_file`` finds the file MXNet's own
cache holds for a model (``<root>/<name>-<hash>.params``, as ``get_model(..., pretrained=True)`` in MXNet leaves it)
and says how to put it there when it is missing."""
import glob
import os

__all__ = ["get_model_file", "load_pretrained", "purge"]

_DEFAULT_ROOT = os.path.join(os.path.expanduser(os.environ.get("MXNET_HOME", "~/.mxnet")), "models")


def get_model_file(name, root=_DEFAULT_ROOT):
    """The path of the parameters of model ``name`` in ``root``: ``<name>-<hash>.params`` (any hash; the newest
    when there are several). Raises ``FileNotFoundError`` when there is none."""
    root = os.path.expanduser(root)
    found = sorted(glob.glob(os.path.join(glob.escape(root), glob.escape(name) + "-*.params")), key=os.path.getmtime)
    if found:
        return found[-1]
    raise FileNotFoundError(
        "Pretrained parameters for model '%s' not found: mxc does not download, and '%s' holds no '%s-*.params'. "
        "Copy the file MXNet downloads (for example %s-<hash>.params from an MXNet machine's ~/.mxnet/models, "
        "or a file saved by net.save_parameters) into '%s', or pass root= the folder that has it."
        % (name, root, name, name, root))


def purge(root=_DEFAULT_ROOT):
    """Removes the ``.params`` files in ``root``."""
    for f in glob.glob(os.path.join(glob.escape(os.path.expanduser(root)), "*.params")):
        os.remove(f)


def load_pretrained(net, name, ctx=None, root=_DEFAULT_ROOT):
    """Loads ``name``'s parameters from ``root`` into ``net`` (on ``ctx``)."""
    net.load_parameters(get_model_file(name, root=root), ctx=ctx)
