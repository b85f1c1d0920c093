import Foundation

/// What `~` means in a stack's paths. The specification expands it to the home folder of the
/// user running Compose; Jarvis runs as a service, so it uses the home folder of the user who
/// owns the stacks folder (the stack folder's parent), read from the password database: on a
/// standard install that is the user Jarvis runs as, whose data folder holds the stacks.
enum HomeFolder {
    /// `~` or `~/x` expanded, or an error message saying what to write instead.
    static func expand(_ path: String, stackFolder: String) -> Result<String, HomeFolderError> {
        guard path == "~" || path.hasPrefix("~/") else {
            return .failure(HomeFolderError(message: "\(path.prefix(80)): ~user paths are not supported; write the absolute path"))
        }
        // Before the first stack is saved the stacks folder may not exist yet: the nearest folder above it stands in.
        var stacks = (stackFolder as NSString).deletingLastPathComponent
        var info = stat()
        while stat(stacks, &info) != 0 && stacks != "/" { stacks = (stacks as NSString).deletingLastPathComponent }
        guard stat(stacks, &info) == 0 else {
            return .failure(HomeFolderError(message: "~ is the home folder of the owner of \(stacks), which cannot be read; write an absolute path"))
        }
        guard let entry = getpwuid(info.st_uid), let directory = entry.pointee.pw_dir, directory.pointee != 0 else {
            return .failure(HomeFolderError(message: "~ is the home folder of the owner of \(stacks) (uid \(info.st_uid)), who has none; write an absolute path"))
        }
        return .success(String(cString: directory) + path.dropFirst())
    }
}

struct HomeFolderError: Error { let message: String }
