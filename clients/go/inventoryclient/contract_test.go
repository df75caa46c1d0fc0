package inventoryclient_test

import (
	"testing"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The generated Go carries the contract's own rules, as the server reads them: the role each RPC
// needs (inventory.v1.required_role) and what fields are (google.api.field_behavior).
func TestEveryRPCDeclaresTheRoleItNeeds(t *testing.T) {
	roles := map[string]inventoryv1.Role{}
	for _, file := range []protoreflect.FileDescriptor{
		inventoryv1.File_inventory_v1_catalog_proto,
		inventoryv1.File_inventory_v1_inventory_count_proto,
		inventoryv1.File_inventory_v1_stock_adjustment_proto,
		inventoryv1.File_inventory_v1_site_proto,
	} {
		for i := 0; i < file.Services().Len(); i++ {
			methods := file.Services().Get(i).Methods()
			for j := 0; j < methods.Len(); j++ {
				method := methods.Get(j)
				role := proto.GetExtension(method.Options(), inventoryv1.E_RequiredRole).(inventoryv1.Role)
				if role == inventoryv1.Role_ROLE_UNSPECIFIED {
					t.Errorf("%s declares no role", method.FullName())
				}
				roles[string(method.Name())] = role
			}
		}
	}
	for method, want := range map[string]inventoryv1.Role{
		"CreateProduct":          inventoryv1.Role_ROLE_ADMIN,
		"ApproveStockAdjustment": inventoryv1.Role_ROLE_MANAGER,
		"StreamCountItems":       inventoryv1.Role_ROLE_STAFF,
		"CreateSite":             inventoryv1.Role_ROLE_ADMIN,
	} {
		if roles[method] != want {
			t.Errorf("%s needs %v, want %v", method, roles[method], want)
		}
	}
}

func TestFieldBehaviourIsMachineReadable(t *testing.T) {
	field := (&inventoryv1.Product{}).ProtoReflect().Descriptor().Fields().ByName("stock_quantity")
	behaviour := proto.GetExtension(field.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	if len(behaviour) != 1 || behaviour[0] != annotations.FieldBehavior_OUTPUT_ONLY {
		t.Errorf("Product.stock_quantity: %v, want [OUTPUT_ONLY]", behaviour)
	}
}
