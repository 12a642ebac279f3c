"""Files on datastores: list, upload, download, delete, make folders.

files = vs.datastore_files("LocalDS_0", "iso")
vs.upload_file("tools.iso", "[LocalDS_0] iso/tools.iso")
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .._base.models import DatastoreFile
from .._base.types import DatastoreRef
from .._operations import datastore_files as _files
from .base import Facade, operation


class DatastoreFiles(Facade):
    @operation(_files.datastore_files)
    def datastore_files(self, datastore: DatastoreRef, path: str = "") -> list[DatastoreFile]:
        """What a folder of a datastore holds: its files and folders (folders first).

            for f in vs.datastore_files("LocalDS_0", "iso"):
                print(f.path, f.size, f.modified, f.is_dir)

        ``datastore``: its name, inventory path or object; ``path``: a folder in it ("" for
        its top). NotFoundError if the folder does not exist.
        """

    @operation(_files.upload_file)
    def upload_file(
        self,
        local_path: str | os.PathLike[str],
        datastore_path: str,
        *,
        overwrite: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Upload a local file to a datastore, as "[datastore] dir/name".

            vs.upload_file("tools.iso", "[LocalDS_0] iso/tools.iso", on_progress=print)

        The file streams through the server's /folder endpoint, a chunk at a time, with the
        connection's session and TLS settings. Checked before anything is sent: the local
        file can be read, the datastore path's form, the folder exists, no file of that name
        is there (unless ``overwrite``), the datastore has room. The file is sent under a
        temporary name beside its target and moved onto it once all there: a failed or
        interrupted upload leaves nothing behind, and a file being replaced stays whole until
        then. ``on_progress(percent)`` follows the upload.
        """

    @operation(_files.download_file)
    def download_file(
        self,
        datastore_path: str,
        local_path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Download a datastore file, "[datastore] dir/name", to a local file.

            vs.download_file("[LocalDS_0] logs/vmware.log", "vmware.log")

        Streamed a chunk at a time into a temporary file beside ``local_path``, renamed once
        complete: a failed or interrupted download leaves no file. An existing local file is
        never replaced unless ``overwrite``. ``on_progress(percent)`` follows the download.
        """

    @operation(_files.delete_file)
    def delete_file(self, datastore_path: str) -> None:
        """Delete a datastore file, or a folder with everything in it.

            vs.delete_file("[LocalDS_0] iso/old.iso")

        NotFoundError if there is nothing at that path.
        """

    @operation(_files.make_directory)
    def make_directory(self, datastore_path: str) -> None:
        """Make a folder on a datastore, and any missing folders above it.

            vs.make_directory("[LocalDS_0] iso/2026/12")

        A folder that exists already is no error.
        """
