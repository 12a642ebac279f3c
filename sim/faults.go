package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// faultMessage is the sentence vSphere sends with a fault (the stock simulator often sends
// none, but clients show it to people).
func faultMessage(fault types.BaseMethodFault) string {
	switch f := fault.(type) {
	case *types.InvalidGuestLogin:
		return "Failed to authenticate with the guest operating system using the supplied credentials."
	case *types.GuestOperationsUnavailable:
		return "The guest operations agent could not be contacted."
	case *types.GuestPermissionDenied:
		return "Insufficient permissions in guest operating system."
	case *types.GuestProcessNotFound:
		return fmt.Sprintf("A process with the pid %d was not found in the guest.", f.Pid)
	case *types.FileNotFound:
		return fmt.Sprintf("File %s was not found", f.File)
	case *types.FileAlreadyExists:
		return fmt.Sprintf("File %s already exists", f.File)
	case *types.NotAFile:
		return fmt.Sprintf("%s is not a file", f.File)
	case *types.NotADirectory:
		return fmt.Sprintf("%s is not a directory", f.File)
	case *types.DirectoryNotEmpty:
		return fmt.Sprintf("Directory %s is not empty", f.File)
	case *types.InvalidPowerState:
		return fmt.Sprintf("The attempted operation cannot be performed in the current state (%s).", powerStateWords(f.ExistingState))
	case *types.ToolsUnavailable:
		return "Cannot complete operation because VMware Tools is not running in this virtual machine."
	case *types.InvalidArgument:
		return fmt.Sprintf("A specified parameter was not correct: %s", f.InvalidProperty)
	case *types.SystemError:
		return fmt.Sprintf("A general system error occurred: %s", f.Reason)
	case *types.NotAuthenticated:
		return "The session is not authenticated."
	case *types.ManagedObjectNotFound:
		return fmt.Sprintf("The object '%s' has already been deleted or has not been completely created", f.Obj)
	}
	return ""
}

func powerStateWords(s types.VirtualMachinePowerState) string {
	switch s {
	case types.VirtualMachinePowerStatePoweredOff:
		return "Powered off"
	case types.VirtualMachinePowerStatePoweredOn:
		return "Powered on"
	case types.VirtualMachinePowerStateSuspended:
		return "Suspended"
	}
	return string(s)
}

// guestFault wraps a fault for a handler's response body, with vSphere's message.
func guestFault(fault types.BaseMethodFault) *soap.Fault {
	return simulator.Fault(faultMessage(fault), fault)
}
